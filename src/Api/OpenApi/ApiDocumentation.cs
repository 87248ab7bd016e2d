using Scalar.AspNetCore;

namespace AuthCluster.Api.OpenApi;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>; on the public port unless <c>OpenApi:Enabled</c> is false, which is
/// the default in Production) and the browsable reference built from it
/// (<c>/docs</c>, Scalar; served where <c>ApiReference:Enabled</c> is true, by default only in Development).
/// </summary>
public static class ApiDocumentation
{
    public const string DocumentEnabledKey = "OpenApi:Enabled";
    public const string ReferenceEnabledKey = "ApiReference:Enabled";
    public const string ReferencePath = "/docs";
    private const string DocumentPattern = "/openapi/{documentName}.json";

    public static IServiceCollection AddAuthOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer<ContractDocumentTransformer>();
            o.AddOperationTransformer<ContractOperationTransformer>();
            o.AddSchemaTransformer(SchemaExamples.Apply);
        });

    public static WebApplication MapAuthOpenApi(this WebApplication app)
    {
        if (!app.Configuration.GetValue(DocumentEnabledKey, defaultValue: !app.Environment.IsProduction()))
        {
            return app;
        }

        app.MapOpenApi(DocumentPattern);
        if (app.Configuration.GetValue(ReferenceEnabledKey, app.Environment.IsDevelopment()))
        {
            // Everything the page needs is served from here: no fonts, telemetry or assistant from elsewhere.
            app.MapScalarApiReference(ReferencePath, o => o
                .WithTitle("AuthCluster API reference")
                .WithOpenApiRoutePattern(DocumentPattern)
                .AddPreferredSecuritySchemes(ContractDocumentTransformer.ClientScheme)
                .HideDeveloperTools()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp());
        }

        return app;
    }
}
