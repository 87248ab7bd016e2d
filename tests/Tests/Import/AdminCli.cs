using System.Text;
using System.Text.Json;
using AuthCluster.Silo.Cli;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Import;

/// <summary>What an admin command did: its exit code, its text on standard output and error, and its data output.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error, byte[] Data)
{
    /// <summary>The JSON Lines an export wrote to standard output.</summary>
    public IReadOnlyList<JsonElement> DataLines => [.. Encoding.UTF8.GetString(Data)
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonDocument.Parse(line).RootElement)];

    public JsonElement OutJson => JsonDocument.Parse(Out).RootElement;
}

/// <summary>Runs the silo program's admin commands in this process, with the console captured.</summary>
internal static class AdminCli
{
    public static async Task<CliRun> RunAsync(IReadOnlyList<string> args, string? stdin = null, bool errorIsTerminal = false)
    {
        var output = new MemoryStream();
        var outText = new StringWriter();
        var errorText = new StringWriter();
        var console = new CliConsole(
            () => new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? "")),
            () => new NonClosingStream(output),
            outText,
            errorText,
            errorIsTerminal);
        var exitCode = await CommandLine.RunAsync(AdminCommands.Root, args, AdminCommands.Configure, console, CancellationToken.None);
        return new CliRun(exitCode, outText.ToString(), errorText.ToString(), output.ToArray());
    }

    /// <summary>The configuration arguments that point a command at the store an API factory uses.</summary>
    public static string[] StoreOf(AuthApiFactory factory) =>
    [
        $"--Storage:Provider={factory.Settings["Storage:Provider"]}",
        $"--Storage:ConnectionString={factory.Settings["Storage:ConnectionString"]}",
    ];

    /// <summary>Writes JSON Lines to a temporary file and returns its path.</summary>
    public static string WriteLines(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), "authcluster-import-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>One import line.</summary>
    public static string Line(string email, string? passwordHash = null, long shopId = AuthApiFactory.ShopA, string firstName = "Ada", string? externalId = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["shop_id"] = shopId,
            ["email"] = email,
            ["first_name"] = firstName,
            ["last_name"] = "Lovelace",
            ["password_hash"] = passwordHash,
            ["external_id"] = externalId,
        }.Where(p => p.Value is not null).ToDictionary());

    /// <summary>Keeps the captured stream readable after the command disposes its output.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
