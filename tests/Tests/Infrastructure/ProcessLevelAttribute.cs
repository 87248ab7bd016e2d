using Xunit.Abstractions;
using Xunit.Sdk;

namespace AuthCluster.Tests.Infrastructure;

/// <summary>
/// Marks a test (or every test of a class) as process-level: it needs PostgreSQL or starts processes of its own
/// (a multi-process cluster, fault injection). These carry the trait <c>Category=Process</c>, so the fast inner loop
/// leaves them out with <c>dotnet test tests/Tests --filter "Category!=Process"</c>; the plain test command and CI
/// run them too. Everything else must stay fast: pure rules, in-process grain tests, HTTP tests on a shared host.
/// </summary>
[TraitDiscoverer("AuthCluster.Tests.Infrastructure.ProcessLevelTraitDiscoverer", "AuthCluster.Tests")]
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ProcessLevelAttribute : Attribute, ITraitAttribute
{
    public const string Trait = "Category";
    public const string Value = "Process";
}

/// <summary>Turns <see cref="ProcessLevelAttribute"/> into the trait the test filter sees.</summary>
public sealed class ProcessLevelTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        [new(ProcessLevelAttribute.Trait, ProcessLevelAttribute.Value)];
}
