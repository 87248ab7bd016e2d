using AuthCluster.Silo.Cli;

namespace AuthCluster.Tests.Import;

/// <summary>The admin command line: help on every level, usage and a non-zero exit for anything it does not know.</summary>
public sealed class AdminCommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("customers", "--help")]
    [InlineData("customers", "import", "--help")]
    [InlineData("customers", "export", "-h")]
    [InlineData("schema", "help")]
    public async Task Help_AtEveryLevel_PrintsUsageAndSucceeds(params string[] args)
    {
        var run = await AdminCli.RunAsync(args);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("Usage: dotnet run --project src/Silo --", run.Out, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Help_OfImport_NamesItsOptionsAndArgument()
    {
        var run = await AdminCli.RunAsync(["customers", "import", "--help"]);

        Assert.Contains("--update", run.Out, StringComparison.Ordinal);
        Assert.Contains("--json", run.Out, StringComparison.Ordinal);
        Assert.Contains("FILE", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Unknown command 'bogus'", "bogus")]
    [InlineData("Unknown command 'purge'", "customers", "purge")]
    [InlineData("Unknown option '--frobnicate'", "customers", "import", "file.jsonl", "--frobnicate")]
    [InlineData("Missing FILE", "customers", "import")]
    [InlineData("Unexpected argument 'b.jsonl'", "customers", "import", "a.jsonl", "b.jsonl")]
    [InlineData("needs a value", "customers", "export", "--shop")]
    [InlineData("takes no value", "customers", "import", "a.jsonl", "--update=yes")]
    [InlineData("Commands:", "customers")]
    public async Task Run_WrongCommandLine_PrintsProblemAndUsageAndExitsWithUsageCode(string problem, params string[] args)
    {
        var run = await AdminCli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(problem, run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage:", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Import_NoDatabaseFile_FailsNamingThePathWithoutCreatingIt()
    {
        var path = Path.Combine(Path.GetTempPath(), "authcluster-missing-" + Guid.NewGuid().ToString("N"), "auth.db");

        var run = await AdminCli.RunAsync(["customers", "import", AdminCli.WriteLines(AdminCli.Line("a@example.com")), "--Storage:Provider=Sqlite", $"--Storage:ConnectionString=Data Source={path}"]);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains($"No database at {path}", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("customers", "import", "-odd.jsonl")]
    [InlineData("customers", "import", "--", "--odd.jsonl")]
    public async Task Run_ArgumentThatLooksLikeAnOption_IsTakenAsTheArgument(params string[] args)
    {
        // Key ids are base64url and may begin with '-': `keys revoke -Xy…` must reach the command as its argument.
        var run = await AdminCli.RunAsync(args);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("No such file", run.Error, StringComparison.Ordinal);
        Assert.Contains(args[^1], run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_NoSuchInputFile_Fails()
    {
        var run = await AdminCli.RunAsync(["customers", "import", "/nonexistent/customers.jsonl"]);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("No such file", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_MemoryStorage_RefusedWithReason()
    {
        var run = await AdminCli.RunAsync(["customers", "export", "--Storage:Provider=Memory"]);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains("Memory", run.Error, StringComparison.Ordinal);
    }
}
