using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthCluster.LoadGen;

/// <summary>
/// The floor under validate's CPU per request: a bare ASP.NET Core server (Kestrel, routing, no middleware) that
/// answers the validate scenario's requests with bytes of the same size as AuthCluster's, computing nothing. Run
/// against it, the validate scenario measures what the HTTP exchange alone costs on this machine; what AuthCluster
/// spends above that is its own work (client and token checks, metrics, headers, JSON).
/// </summary>
internal static class HttpFloor
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();

        // A real ES256 access token, so that the Authorization header the load generator sends is as long as usual.
        var token = SampleAccessToken();
        var grant = JsonSerializer.SerializeToUtf8Bytes(new { access_token = token, token_type = "Bearer", expires_in = 900, refresh_token = "rt_" + new string('x', 86) });
        var validation = JsonSerializer.SerializeToUtf8Bytes(new
        {
            active = true, sub = Guid.NewGuid(), sid = Guid.NewGuid(), client_id = "bench", shop_id = 1, customer_type = "guest",
            exp = DateTimeOffset.UtcNow.AddMinutes(15).ToUnixTimeSeconds(), iat = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
        app.MapPost("/v1/auth/login/guest", context => WriteAsync(context, grant));
        app.MapGet("/v1/oauth/token/validate", context => WriteAsync(context, validation));
        await app.RunAsync();
        return 0;
    }

    private static Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static string SampleAccessToken()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "http://127.0.0.1:5080",
            Audience = "shop-api",
            Claims = new Dictionary<string, object>
            {
                ["sub"] = Guid.NewGuid().ToString(), ["sid"] = Guid.NewGuid().ToString(), ["client_id"] = "bench", ["shop_id"] = 1,
                ["customer_type"] = "guest", ["jti"] = Guid.NewGuid().ToString(),
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = "bench-key-0123456789" }, SecurityAlgorithms.EcdsaSha256),
            TokenType = "at+jwt",
        });
    }
}
