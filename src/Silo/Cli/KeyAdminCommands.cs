using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AuthCluster.Grains.Interfaces;

namespace AuthCluster.Silo.Cli;

/// <summary>
/// <c>keys list|rotate|revoke</c> and <c>kek rotate</c>: they act on the live ring through its grain
/// (<see cref="ISigningKeyGrain"/>), which pushes every change to the subscribed API nodes before it answers, so a
/// revoked key is refused everywhere when the command returns. The grain writes the security event, with
/// <see cref="AdminCluster.Actor"/> as who.
/// </summary>
internal static class KeyAdminCommands
{
    private static readonly CliOption Json = new("json", "Print the result as JSON (for scripts).");

    private static readonly JsonSerializerOptions JsonOutput = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private const string Connection = """
        Connects to the running service as an Orleans client with the silo's settings: a single node's gateway on
        localhost (Cluster:GatewayPort), or a cluster through its membership table (Cluster:Clustering=AdoNet with
        Storage:ConnectionString). Auth:Issuer names the ring (one per issuer).
        """;

    public static CliGroup Keys { get; } = new("keys", "Signing keys of the access tokens (the key ring).",
    [
        new CliCommand("list", "List the keys: kid, algorithm, status (current/published/retired/revoked), created, signing period, expiry, KEK.",
            [], [Json], ListAsync, Connection),
        new CliCommand("rotate", "Make a new key sign from now on; the previous one stays in the JWKS until its tokens have expired.",
            [], [Json], RotateAsync,
            Connection + """

            The key already published as the successor takes over if there is one (validators know it); otherwise a new
            key is made, which validators that cache the JWKS learn when they next fetch it.
            """),
        new CliCommand("revoke", "Remove a key from the JWKS at once; every token it signed is refused from then on.",
            [new CliArgument("KID", "The key's kid (see keys list).")], [Json], RevokeAsync,
            Connection + """

            Revoking the current key first makes another key current (the published successor, or a new one), so the
            service keeps issuing tokens. The private key is destroyed. Every API node subscribed to the ring drops the
            key before the command returns (the output says how many); a node that did not answer stops using it
            within 30 s at most. Exit codes: 0 revoked (or already revoked), 4 no such key, 1 failed, 2 usage.
            """),
    ]);

    public static CliGroup Kek { get; } = new("kek", "Key-encryption keys (KEKs) that encrypt the signing keys at rest.",
    [
        new CliCommand("rotate", "Re-encrypt every signing key under the current KEK, so that older KEKs can be removed from configuration.",
            [], [new CliOption("kek", "The KEK id the ring must be re-encrypted under (default: Auth:Signing:CurrentKek of this configuration).", "ID"), Json],
            RotateKekAsync,
            Connection + """

            Steps: add the new KEK to every node's configuration (Auth:Signing:Keks:<id>=base64 of 32 random bytes),
            make it current (Auth:Signing:CurrentKek=<id>) and roll the nodes out; run this command; then remove the old
            KEK (the single Auth:Signing:KeyEncryptionKey is the KEK "default"). The command refuses, changing nothing,
            when the silo holding the ring has another current KEK than expected (a half-rolled-out configuration) or
            lacks a KEK a key is under. Safe to run again. Exit codes: 0 done, 1 refused or failed, 2 usage.
            """),
    ]);

    private static async Task<int> ListAsync(CliInvocation cli) =>
        await WithRingAsync(cli, async ring =>
        {
            var keys = await ring.ListKeys();
            if (cli.Has(Json.Name))
            {
                await cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { keys }, JsonOutput));
                return ExitCodes.Ok;
            }

            var rows = keys.Select(k => new[]
            {
                k.KeyId, k.Algorithm, k.Status.ToString().ToLowerInvariant(), Time(k.CreatedAt), Time(k.SignsFrom),
                Time(k.SignsUntil), Time(k.ExpiresAt), k.KekId ?? "-",
            }).ToList();
            await cli.Console.Out.WriteAsync(Table(["KID", "ALG", "STATUS", "CREATED", "SIGNS FROM", "SIGNS UNTIL", "EXPIRES", "KEK"], rows));
            return ExitCodes.Ok;
        });

    private static async Task<int> RotateAsync(CliInvocation cli) =>
        await WithRingAsync(cli, async ring =>
        {
            var rotation = await ring.Rotate(AdminCluster.Actor);
            await cli.Console.Out.WriteLineAsync(cli.Has(Json.Name)
                ? JsonSerializer.Serialize(rotation, JsonOutput)
                : $"Key {rotation.CurrentKeyId} signs from now on{(rotation.PreviousKeyId is { } previous ? $"; {previous} stays published until its tokens have expired" : "")}. API nodes notified: {rotation.NodesNotified}.");
            return ExitCodes.Ok;
        });

    private static async Task<int> RevokeAsync(CliInvocation cli) =>
        await WithRingAsync(cli, async ring =>
        {
            var keyId = cli.Argument("KID")!;
            var revocation = await ring.Revoke(keyId, AdminCluster.Actor);
            if (cli.Has(Json.Name))
            {
                await cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    kid = keyId,
                    revocation.Outcome,
                    revocation.NewCurrentKeyId,
                    revocation.NodesNotified,
                }, JsonOutput));
            }
            else if (revocation.Outcome == SigningKeyRevocationOutcome.NotFound)
            {
                await cli.Console.Error.WriteLineAsync($"No key {keyId} in the ring (see keys list).");
            }
            else
            {
                var what = revocation.Outcome == SigningKeyRevocationOutcome.AlreadyRevoked ? "was already revoked" : "is revoked; its tokens are refused";
                var successor = revocation.NewCurrentKeyId is { } current ? $" Key {current} signs from now on." : "";
                await cli.Console.Out.WriteLineAsync($"Key {keyId} {what}.{successor} API nodes notified: {revocation.NodesNotified}.");
            }

            return revocation.Outcome == SigningKeyRevocationOutcome.NotFound ? ExitCodes.NotFound : ExitCodes.Ok;
        });

    private static async Task<int> RotateKekAsync(CliInvocation cli)
    {
        string? expected;
        try
        {
            var signing = cli.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Signing ?? new SigningOptions();
            expected = cli.Option("kek") ?? KeyEncryption.FromOptions(signing)?.CurrentKekId;
        }
        catch (InvalidOperationException exception)
        {
            // The messages name settings, never their values.
            await cli.Console.Error.WriteLineAsync(exception.Message);
            return ExitCodes.Usage;
        }

        return await WithRingAsync(cli, async ring =>
        {
            var rotation = await ring.ReencryptRing(expected, AdminCluster.Actor);
            if (cli.Has(Json.Name))
            {
                await cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(rotation, JsonOutput));
            }
            else
            {
                await (rotation.Outcome == KekRotationOutcome.Done ? cli.Console.Out : cli.Console.Error).WriteLineAsync(rotation.Outcome switch
                {
                    KekRotationOutcome.CurrentKekMismatch =>
                        $"Refused: the silo holding the ring encrypts under KEK {rotation.CurrentKekId}, not {expected}. Roll the configuration out to every node first.",
                    KekRotationOutcome.KekMissing =>
                        $"Refused: keys are under KEK {string.Join(", ", rotation.MissingKekIds)}, which the silo holding the ring does not have. Add it back to its configuration.",
                    _ => rotation.Reencrypted == 0
                        ? $"Every key is already under KEK {rotation.CurrentKekId}."
                        : $"Re-encrypted {rotation.Reencrypted} keys under KEK {rotation.CurrentKekId}. No key needs {string.Join(", ", rotation.PreviousKekIds)} any more: remove it from every node's configuration.",
                });
            }

            return rotation.Outcome == KekRotationOutcome.Done ? ExitCodes.Ok : ExitCodes.Failed;
        });
    }

    /// <summary>Connects to the service and runs <paramref name="action"/> on the ring of the configured issuer.</summary>
    private static async Task<int> WithRingAsync(CliInvocation cli, Func<ISigningKeyGrain, Task<int>> action)
    {
        var issuer = cli.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Issuer ?? new AuthOptions().Issuer;
        await using var cluster = await AdminCluster.ConnectAsync(cli);
        if (cluster is null)
        {
            return ExitCodes.Failed;
        }

        try
        {
            return await action(cluster.Grains.GetGrain<ISigningKeyGrain>(issuer));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Grain failures carry storage or timeout messages, never key material.
            await cli.Console.Error.WriteLineAsync($"Failed: {exception.GetBaseException().Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Left-aligned columns, two spaces apart.</summary>
    internal static string Table(IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend([.. header]))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }
}
