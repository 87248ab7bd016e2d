using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// A local stand-in for the SendGrid v3 API (Kestrel on 127.0.0.1, random port): records every mail-send request
/// and answers 202, or 500 for the first N calls, or a fixed status (e.g. 401) when told to.
/// </summary>
public sealed class SendGridStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<RecordedMail> _calls = [];
    private readonly Lock _lock = new();
    private int _failFirst;
    private int? _fixedStatus;

    private SendGridStandIn(WebApplication app) => _app = app;

    /// <summary>Base URL for <c>Email:SendGrid:Host</c>.</summary>
    public string Host { get; private set; } = "";

    /// <summary>Every call, in arrival order, with the status it was answered with.</summary>
    public IReadOnlyList<RecordedMail> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public IReadOnlyList<RecordedMail> Delivered => [.. Calls.Where(c => c.Status == (int)HttpStatusCode.Accepted)];

    public static async Task<SendGridStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new SendGridStandIn(app);
        app.MapPost("/{**path}", standIn.HandleAsync);
        await app.StartAsync();
        standIn.Host = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return standIn;
    }

    /// <summary>Answers the next <paramref name="calls"/> calls with 500.</summary>
    public void FailFirst(int calls)
    {
        lock (_lock)
        {
            _failFirst = calls;
        }
    }

    /// <summary>Answers every call with <paramref name="status"/> until set back to null.</summary>
    public void AnswerWith(int? status)
    {
        lock (_lock)
        {
            _fixedStatus = status;
        }
    }

    public async Task<IReadOnlyList<RecordedMail>> WaitForDeliveriesAsync(int count, TimeSpan? timeout = null) =>
        await WaitUntilAsync(() => Delivered.Count >= count, timeout) ? Delivered : throw new TimeoutException($"Expected {count} deliveries, saw {Delivered.Count} of {Calls.Count} calls.");

    public Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null) => Poll.TryUntilAsync(condition, timeout);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context, string path)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        int status;
        lock (_lock)
        {
            if (_fixedStatus is { } fixedStatus)
            {
                status = fixedStatus;
            }
            else if (_failFirst > 0)
            {
                _failFirst--;
                status = 500;
            }
            else
            {
                status = (int)HttpStatusCode.Accepted;
            }

            _calls.Add(new RecordedMail("/" + path, context.Request.Headers.Authorization.ToString(), JsonDocument.Parse(body).RootElement.Clone(), status));
        }

        context.Response.StatusCode = status;
        if (status >= 400)
        {
            await context.Response.WriteAsJsonAsync(new { errors = new[] { new { message = "stand-in failure" } } });
        }
    }
}

/// <summary>One mail-send request as the stand-in saw it.</summary>
public sealed record RecordedMail(string Path, string Authorization, JsonElement Body, int Status)
{
    public string To => Body.GetProperty("personalizations")[0].GetProperty("to")[0].GetProperty("email").GetString()!;

    public string From => Body.GetProperty("from").GetProperty("email").GetString()!;

    public string Subject => Body.TryGetProperty("subject", out var subject)
        ? subject.GetString()!
        : Body.GetProperty("personalizations")[0].GetProperty("subject").GetString()!;

    public string Content(string type) =>
        Body.GetProperty("content").EnumerateArray().Single(c => c.GetProperty("type").GetString() == type).GetProperty("value").GetString()!;
}
