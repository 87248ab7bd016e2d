using System.Text.Json;
using AuthCluster.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthCluster.Tests.Http;

/// <summary>The API's error path without a host: what reaches the log and what reaches the client.</summary>
public sealed class ExceptionHandlerTests
{
    private readonly FakeLogger<ApiExceptionHandler> _logger = new();

    [Fact]
    public async Task TryHandle_UnexpectedException_LogsTheExceptionWholeAndAnswersABare500()
    {
        var exception = Thrown(new InvalidOperationException("secret-looking detail"));
        var context = NewContext("/v1/auth/login");

        var handled = await new ApiExceptionHandler(_logger).TryHandleAsync(context, exception, CancellationToken.None);

        Assert.True(handled);
        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Same(exception, record.Exception);
        Assert.NotNull(record.Exception!.StackTrace);
        Assert.Equal("Unexpected error serving /v1/auth/login", record.Message);
        var body = await BodyAsync(context);
        Assert.Equal(500, context.Response.StatusCode);
        Assert.Equal("server_error", body.GetProperty("error").GetString());
        Assert.DoesNotContain("secret-looking", body.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryHandle_ClusterUnavailable_LogsTheExceptionWholeAndAnswers503()
    {
        var exception = Thrown(new TimeoutException("gateway timed out"));
        var context = NewContext("/v1/oauth/token");

        await new ApiExceptionHandler(_logger).TryHandleAsync(context, exception, CancellationToken.None);

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Same(exception, record.Exception);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("unavailable", (await BodyAsync(context)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task TryHandle_RequestError_IsAnsweredWithoutLogging()
    {
        var context = NewContext("/v1/auth/login");

        await new ApiExceptionHandler(_logger).TryHandleAsync(context, new ApiException(ApiErrors.InvalidClient()), CancellationToken.None);

        Assert.Empty(_logger.Collector.GetSnapshot());
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("invalid_client", (await BodyAsync(context)).GetProperty("error").GetString());
    }

    [Fact]
    public void Shape_ProblemTheFrameworkMadeItself_GetsExactlyTheContractsMembers()
    {
        var problem = new ProblemDetails { Status = 500, Title = "An error occurred", Detail = "details", Instance = "/x" };
        problem.Extensions["traceId"] = "00-abc";

        ProblemContract.Shape(problem);

        var json = JsonSerializer.SerializeToElement(problem);
        Assert.Equal(["type", "title", "status", "error", "error_description"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("server_error", json.GetProperty("error").GetString());
        Assert.Equal("https://authcluster.dev/errors/server_error", json.GetProperty("type").GetString());
    }

    [Fact]
    public void Shape_AppliedTwice_ChangesNothing()
    {
        var problem = ProblemContract.Create(400, "validation_error", "The request is invalid; see errors.", new Dictionary<string, string[]> { ["email"] = ["Is required."] });
        ProblemContract.Shape(problem);
        var once = JsonSerializer.Serialize(problem);

        ProblemContract.Shape(problem);

        Assert.Equal(once, JsonSerializer.Serialize(problem));
        Assert.Contains("\"error_description\":\"The request is invalid; see errors.\"", once, StringComparison.Ordinal);
    }

    private static DefaultHttpContext NewContext(string path)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddProblemDetails(o => o.CustomizeProblemDetails = ProblemContract.Customize)
            .BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<JsonElement> BodyAsync(HttpContext context)
    {
        Assert.Equal("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        return await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body);
    }

    // A thrown exception has a stack trace, which is what the log must keep.
    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }
}
