using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AuthCluster.Tests.Cluster;
using AuthCluster.Tests.Infrastructure;
using AuthCluster.Tests.Storage;

namespace AuthCluster.Tests.Interop;

/// <summary>
/// The API as a real process (Production configuration, Embedded mode, SQLite) on a free loopback port, whose
/// issuer is that address, plus the Node.js package in <c>tests/interop</c> installed with <c>npm ci</c> (only when
/// its lock file changed). Without <c>node</c> and <c>npm</c> the Node.js tests are skipped, except under CI, where
/// <c>.ci/run</c> installs them and their absence is a failure.
/// </summary>
public sealed class InteropFixture : IAsyncLifetime
{
    public const string ClientId = AuthApiFactory.ClientA;
    public const string ClientSecret = AuthApiFactory.SecretA;
    public const long ShopId = AuthApiFactory.ShopA;
    private const string LockStamp = ".authcluster-lock-sha256";
    private NodeProcess? _api;

    public static string PackageDirectory { get; } = Path.Combine(Binaries.RepositoryRoot, "tests", "interop");

    /// <summary>Why the Node.js tests cannot run here, or null.</summary>
    public string? NodeSkipReason { get; private set; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where the API is reachable, without a trailing slash: the issuer of its tokens.</summary>
    public string Issuer => BaseAddress.GetLeftPart(UriPartial.Authority);

    public async Task InitializeAsync()
    {
        if (await MissingToolAsync() is { } missing)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"{missing} is missing under CI; .ci/run installs Node.js and npm.");
            }

            NodeSkipReason = $"{missing} not found: install Node.js and npm (e.g. apt-get install nodejs npm) to run the Node.js client tests.";
        }
        else
        {
            await InstallPackagesAsync();
        }

        await StartApiAsync();
    }

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    /// <summary>Runs <c>node script</c> in the package directory against the API; output is stdout and stderr together.</summary>
    public Task<ToolResult> RunScriptAsync(string script, TimeSpan timeout) =>
        ToolResult.RunAsync("node", [script], PackageDirectory, timeout, new Dictionary<string, string>
        {
            ["AUTHCLUSTER_URL"] = Issuer,
            ["AUTHCLUSTER_CLIENT_ID"] = ClientId,
            ["AUTHCLUSTER_CLIENT_SECRET"] = ClientSecret,
            ["AUTHCLUSTER_SHOP_ID"] = ShopId.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The API process's last log lines, for failure messages.</summary>
    public string ApiLog() => _api is null ? "" : $"--- API log ({_api.LogPath}) ---\n{_api.Tail(30)}";

    private static async Task<string?> MissingToolAsync()
    {
        foreach (var tool in new[] { "node", "npm" })
        {
            try
            {
                if ((await ToolResult.RunAsync(tool, ["--version"], PackageDirectory, TimeSpan.FromSeconds(30))).ExitCode != 0)
                {
                    return tool;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return tool;
            }
        }

        return null;
    }

    /// <summary><c>npm ci</c>, skipped while node_modules was installed from this very lock file.</summary>
    private static async Task InstallPackagesAsync()
    {
        var lockHash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(PackageDirectory, "package-lock.json"))));
        var stamp = Path.Combine(PackageDirectory, "node_modules", LockStamp);
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp) == lockHash)
        {
            return;
        }

        var install = await ToolResult.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], PackageDirectory, TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, $"npm ci failed ({install.ExitCode}):\n{install.Output}");
        await File.WriteAllTextAsync(stamp, lockHash);
    }

    private async Task StartApiAsync()
    {
        var port = TestSilo.FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var data = Path.Combine(Path.GetTempPath(), "authcluster-interop", Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Urls"] = Issuer,
            ["Auth__Issuer"] = Issuer,
            // Off by default in Production; the generated client and the lint read the document.
            ["OpenApi__Enabled"] = "true",
            ["Management__Urls"] = "http://127.0.0.1:0",
            ["Cluster__SiloPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster__ClusterId"] = "interop-" + Guid.NewGuid().ToString("N")[..8],
            ["Storage__Provider"] = "Sqlite",
            ["Storage__ConnectionString"] = $"Data Source={Path.Combine(data, "auth.db")}",
            ["Auth__Signing__KeyEncryptionKey"] = AuthApiFactory.TestKek,
            ["Auth__Passwords__BcryptCost"] = "4",
            ["Auth__Clients__0__ClientId"] = ClientId,
            ["Auth__Clients__0__Secret"] = ClientSecret,
            ["Auth__Clients__0__ShopIds__0"] = ShopId.ToString(CultureInfo.InvariantCulture),
            ["Email__Provider"] = "Pickup",
            ["Email__PickupDirectory"] = Path.Combine(data, "mail"),
            ["Email__From"] = "Shop <no-reply@shop.example>",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        _api = NodeProcess.Start("interop-api", Binaries.Api, environment, data);

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await _api.WaitUntilOkAsync(http, "/health/ready", TimeSpan.FromSeconds(60));
    }
}

/// <summary>A finished command: its exit code and its output (stdout and stderr interleaved as they came).</summary>
public sealed record ToolResult(int ExitCode, string Output)
{
    public static async Task<ToolResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new ToolResult(-1, $"{fileName} timed out after {timeout}:\n{Read(output)}");
        }

        // The exit event may precede the last output lines.
        process.WaitForExit();
        return new ToolResult(process.ExitCode, Read(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
