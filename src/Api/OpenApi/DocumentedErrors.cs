using AuthCluster.Api.Http;

namespace AuthCluster.Api.OpenApi;

/// <summary>
/// Endpoint metadata: the errors an endpoint's own outcomes can produce (for example <c>email_taken</c>), beyond
/// those <see cref="ContractOperationTransformer"/> derives from how the endpoint binds its request.
/// </summary>
public sealed record DocumentedErrors(IReadOnlyList<ApiError> Errors);

public static class DocumentedErrorsExtensions
{
    /// <summary>
    /// Documents the errors of the contract this endpoint answers with, built by the same <see cref="ApiErrors"/>
    /// factories the handlers use, so the document's examples are the bodies on the wire.
    /// </summary>
    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, params ApiError[] errors)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DocumentedErrors(errors));
}
