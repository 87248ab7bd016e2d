using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Formats;

namespace AuthCluster.Silo.Cli;

/// <summary>
/// <c>customers find|sessions|revoke-sessions|disable|enable|show|erase</c>: operator commands on one live customer.
/// They run as an Orleans client of the running service (<see cref="AdminCluster"/>) and act through the customer's
/// grains, so a change takes effect at once on every node, exactly as the HTTP API's own calls do; each writes a
/// security event on the silo naming the customer, the shop and <see cref="AdminCluster.Actor"/>.
/// </summary>
internal static class CustomerAdminCommands
{
    private static readonly CliOption Json = new("json", "Print the result as JSON (for scripts).");
    private static readonly CliOption Shop = new("shop", "The customer's shop (with --email).", "SHOP_ID");
    private static readonly CliOption Email = new("email", "The customer's email address (with --shop).", "EMAIL");
    private static readonly CliOption Id = new("id", "The customer id (instead of --shop and --email).", "CUSTOMER_ID");
    private static readonly CliOption Yes = new("yes", "Erase without asking for confirmation.");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly JsonSerializerOptions IndentedJsonOptions = new(JsonOptions) { WriteIndented = true };

    private const string Selection = """
        Select the customer with --shop and --email (found through the email index, as a login would), or with --id.
        Connects to the running service as an Orleans client: to a single node's gateway on localhost:Cluster:GatewayPort,
        or to a cluster through its membership table (Cluster:Clustering=AdoNet, Storage:ConnectionString); Cluster:ClusterId
        and Cluster:ServiceId as for the silo. Exit codes: 0 done, 1 failed (service unreachable, or not confirmed),
        2 usage, 4 no such customer.
        """;

    /// <summary>The commands, for the <c>customers</c> group of <see cref="AdminCommands.Root"/>.</summary>
    public static IReadOnlyList<CliNode> Commands { get; } =
    [
        new CliCommand("find", "Find a customer by shop and email, or by id: id, profile, status, active sessions.",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, FindAsync), Selection),
        new CliCommand("sessions", "List a customer's sessions: id, client, IP, user agent, created, last used, expiry.",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, SessionsAsync), Selection),
        new CliCommand("revoke-sessions", "Revoke all of a customer's sessions at once, as a global logout does.",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, RevokeSessionsAsync),
            "Every refresh token and access token of those sessions stops working at once on every node.\n" + Selection),
        new CliCommand("disable", "Disable a customer: login fails as with a wrong password; every session is revoked.",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, target => SetDisabledAsync(target, true)),
            "To the API caller a disabled customer's login is indistinguishable from a wrong password (same status, body\n" +
            "and cost). Any outstanding reset link stops working and no new one is sent. Safe to repeat.\n" + Selection),
        new CliCommand("enable", "Enable a disabled customer again (revoked sessions stay revoked).",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, target => SetDisabledAsync(target, false)), Selection),
        new CliCommand("show", "Print all data held about one customer as JSON (GDPR Art. 15/20 access and portability).",
            [], [Shop, Email, Id, Json], cli => RunAsync(cli, ShowAsync),
            "Profile, account status, which kind of password is held (never the hash), sessions with their client, IP and\n" +
            "user agent, and the login-throttle and reset-request state of the address. Indented; --json prints one line.\n" +
            "(The bulk 'customers export' writes every customer as JSON Lines for migration, password hashes included.)\n" + Selection),
        new CliCommand("erase", "Erase a customer (GDPR Art. 17): profile, password, sessions, throttle and reset state.",
            [], [Shop, Email, Id, Yes, Json], cli => RunAsync(cli, EraseAsync),
            "Revokes every session and deletes it, drops any queued reset email, removes the account and releases the\n" +
            "address, which can then be registered again. The security log records the customer id, shop and operator\n" +
            "only. Asks for confirmation on standard input unless --yes.\n" + Selection),
    ];

    /// <summary>A customer found on the running service.</summary>
    private sealed record Target(CliInvocation Cli, AdminCluster Cluster, Guid CustomerId, CustomerRecord Customer)
    {
        public ICustomerGrain Grain => Cluster.Grains.GetGrain<ICustomerGrain>(CustomerId);

        public IEmailIndexGrain Index => Cluster.Grains.GetGrain<IEmailIndexGrain>(
            EmailAddress.StoredIndexKey(Customer.ShopId, Customer.Profile.Email));

        public bool Json => Cli.Has(CustomerAdminCommands.Json.Name);

        public string Name => $"customer {CustomerId} of shop {Customer.ShopId}";
    }

    /// <summary>Parses the selection, connects, finds the customer and runs <paramref name="act"/> on it.</summary>
    private static async Task<int> RunAsync(CliInvocation cli, Func<Target, Task<int>> act)
    {
        var (id, indexKey, problem) = ParseSelection(cli);
        if (problem is not null)
        {
            await cli.Console.Error.WriteLineAsync($"{problem} See --help.");
            return ExitCodes.Usage;
        }

        await using var cluster = await AdminCluster.ConnectAsync(cli);
        if (cluster is null)
        {
            return ExitCodes.Failed;
        }

        try
        {
            if (indexKey is not null)
            {
                id = (await cluster.Grains.GetGrain<IEmailIndexGrain>(indexKey).Describe()).CustomerId;
            }

            // Reading the record is itself an admin action on personal data: the grain records it.
            var customer = id is { } customerId ? await cluster.Grains.GetGrain<ICustomerGrain>(customerId).Describe(AdminCluster.Actor) : null;
            if (customer is null)
            {
                await cli.Console.Error.WriteLineAsync("No such customer.");
                return ExitCodes.NotFound;
            }

            return await act(new Target(cli, cluster, customer.CustomerId, customer));
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or OperationCanceledException)
        {
            // Orleans' messages name grains, silos and types; the grains put no personal data in exceptions.
            await cli.Console.Error.WriteLineAsync(cli.Cancellation.IsCancellationRequested
                ? "Interrupted; the command may or may not have taken effect. Run it again (it is safe to repeat)."
                : $"The service failed the command ({exception.GetType().Name}: {exception.Message}). Run it again (it is safe to repeat).");
            return ExitCodes.Failed;
        }
    }

    private static (Guid? Id, string? IndexKey, string? Problem) ParseSelection(CliInvocation cli)
    {
        var (shop, email, id) = (cli.Option(Shop.Name), cli.Option(Email.Name), cli.Option(Id.Name));
        if (id is not null)
        {
            return shop is not null || email is not null ? (null, null, "Give either --id or --shop with --email, not both.")
                : Guid.TryParse(id, out var customerId) ? (customerId, null, null)
                : (null, null, "--id must be a customer id (a UUID).");
        }

        if (shop is null || email is null)
        {
            return (null, null, "Select the customer with --shop and --email, or with --id.");
        }

        if (!long.TryParse(shop, NumberStyles.None, CultureInfo.InvariantCulture, out var shopId) || shopId <= 0)
        {
            return (null, null, "--shop must be a positive integer.");
        }

        // The key an account stored under older address rules is still found, as at login.
        return (null, EmailAddress.StoredIndexKey(shopId, email), null);
    }

    private static async Task<int> FindAsync(Target target)
    {
        var customer = target.Customer;
        var active = customer.Sessions.Count(s => s.Status == SessionStatus.Active);
        if (target.Json)
        {
            await WriteJsonAsync(target, new CustomerSummary(
                customer.CustomerId, customer.ShopId, customer.Profile.Email, customer.Profile.FirstName, customer.Profile.LastName,
                customer.CreatedAt, StatusOf(customer), active));
            return ExitCodes.Ok;
        }

        await target.Cli.Console.Out.WriteLineAsync(
            $"{customer.CustomerId}  shop {customer.ShopId}  {customer.Profile.FirstName} {customer.Profile.LastName} <{customer.Profile.Email}>  " +
            $"created {Utc(customer.CreatedAt)}  {StatusOf(customer)}  {active} active session{(active == 1 ? "" : "s")}");
        return ExitCodes.Ok;
    }

    private static async Task<int> SessionsAsync(Target target)
    {
        var sessions = target.Customer.Sessions.Where(s => s.Status == SessionStatus.Active).Select(SessionView.Of).ToList();
        if (target.Json)
        {
            await WriteJsonAsync(target, sessions);
            return ExitCodes.Ok;
        }

        var output = target.Cli.Console.Out;
        await output.WriteLineAsync($"{sessions.Count} active session{(sessions.Count == 1 ? "" : "s")} of {target.Name}{(sessions.Count == 0 ? "." : ":")}");
        foreach (var session in sessions)
        {
            await output.WriteLineAsync(
                $"  {session.Id}  client {session.ClientId}  created {Utc(session.CreatedAt)}  last used {Utc(session.LastUsedAt)}  " +
                $"expires {Utc(session.ExpiresAt)}  ip {session.Ip ?? "-"}  {session.UserAgent ?? "-"}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> RevokeSessionsAsync(Target target)
    {
        if (await target.Grain.RevokeAllSessions(AdminCluster.Actor) is null)
        {
            await target.Cli.Console.Error.WriteLineAsync("No such customer (erased meanwhile).");
            return ExitCodes.NotFound;
        }

        var revoked = target.Customer.Sessions.Count(s => s.Status == SessionStatus.Active);
        await (target.Json
            ? WriteJsonAsync(target, new { customer_id = target.CustomerId, shop_id = target.Customer.ShopId, revoked_sessions = revoked })
            : target.Cli.Console.Out.WriteLineAsync($"Revoked {revoked} active session{(revoked == 1 ? "" : "s")} of {target.Name}."));
        return ExitCodes.Ok;
    }

    private static async Task<int> SetDisabledAsync(Target target, bool disabled)
    {
        if (!await target.Grain.SetDisabled(disabled, AdminCluster.Actor))
        {
            await target.Cli.Console.Error.WriteLineAsync("No such customer (erased meanwhile).");
            return ExitCodes.NotFound;
        }

        var revoked = disabled ? target.Customer.Sessions.Count(s => s.Status == SessionStatus.Active) : 0;
        var status = disabled ? "disabled" : "enabled";
        await (target.Json
            ? WriteJsonAsync(target, new { customer_id = target.CustomerId, shop_id = target.Customer.ShopId, status, revoked_sessions = revoked })
            : target.Cli.Console.Out.WriteLineAsync(disabled
                ? $"Disabled {target.Name}; revoked {revoked} active session{(revoked == 1 ? "" : "s")}."
                : $"Enabled {target.Name}; the customer can log in again."));
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(Target target)
    {
        var customer = target.Customer;
        var index = await target.Index.Describe();

        // Only what the index holds for this customer: an address taken over by another account is not theirs.
        var ownIndex = index.CustomerId == customer.CustomerId ? index : null;
        var export = new CustomerExport(
            customer.CustomerId, customer.ShopId, customer.Profile.Email, customer.Profile.FirstName, customer.Profile.LastName,
            customer.Profile.Gender, customer.CreatedAt, customer.ExternalId, StatusOf(customer), customer.DisabledAt,
            customer.Password, customer.PasswordResetPending,
            [.. customer.Sessions.Select(SessionView.Of)],
            new LoginThrottleView(ownIndex?.FailedLogins ?? 0, ownIndex?.LastFailureAt, ownIndex?.ThrottledUntil),
            new ResetRequestsView(ownIndex?.ResetRequests ?? 0, ownIndex?.ResetWindowStart));
        await target.Cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(export, target.Json ? JsonOptions : IndentedJsonOptions));
        return ExitCodes.Ok;
    }

    private static async Task<int> EraseAsync(Target target)
    {
        var cli = target.Cli;
        if (!cli.Has(Yes.Name))
        {
            await cli.Console.Error.WriteAsync(
                $"Erase {target.Name}: profile, password, sessions, throttle and reset state? This cannot be undone. Type 'yes' to erase: ");
            await cli.Console.Error.FlushAsync(cli.Cancellation);
            using var input = new StreamReader(cli.Console.Input());
            var answer = await input.ReadLineAsync(cli.Cancellation);
            if (!string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
            {
                await cli.Console.Error.WriteLineAsync("Not erased.");
                return ExitCodes.Failed;
            }
        }

        // Through the email index, which erases the account and then releases the address.
        await target.Index.EraseCustomer(target.CustomerId, AdminCluster.Actor);
        await (target.Json
            ? WriteJsonAsync(target, new { customer_id = target.CustomerId, shop_id = target.Customer.ShopId, erased = true })
            : cli.Console.Out.WriteLineAsync($"Erased {target.Name}; the address can be registered again."));
        return ExitCodes.Ok;
    }

    private static Task WriteJsonAsync<T>(Target target, T value) =>
        target.Cli.Console.Out.WriteLineAsync(JsonSerializer.Serialize(value, JsonOptions));

    private static string StatusOf(CustomerRecord customer) => customer.DisabledAt is null ? "enabled" : "disabled";

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record CustomerSummary(
        Guid CustomerId, long ShopId, string Email, string FirstName, string LastName, DateTimeOffset CreatedAt, string Status, int ActiveSessions);

    /// <summary>The documented shape of <c>customers show</c> (README, "Operating AuthCluster").</summary>
    private sealed record CustomerExport(
        Guid CustomerId,
        long ShopId,
        string Email,
        string FirstName,
        string LastName,
        string? Gender,
        DateTimeOffset CreatedAt,
        string? ExternalId,
        string Status,
        DateTimeOffset? DisabledAt,
        PasswordKind Password,
        bool PasswordResetPending,
        IReadOnlyList<SessionView> Sessions,
        LoginThrottleView LoginThrottle,
        ResetRequestsView PasswordResetRequests);

    private sealed record SessionView(
        Guid Id, string ClientId, string? Ip, string? UserAgent, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt,
        DateTimeOffset ExpiresAt, SessionStatus Status, DateTimeOffset? RevokedAt, RevocationReason? RevocationReason)
    {
        public static SessionView Of(SessionRecord session) => new(
            session.Id, session.ClientId, session.Ip, session.UserAgent, session.CreatedAt, session.UpdatedAt,
            session.ExpiresAt, session.Status, session.RevokedAt, session.RevocationReason);
    }

    private sealed record LoginThrottleView(int FailedLogins, DateTimeOffset? LastFailureAt, DateTimeOffset? ThrottledUntil);

    private sealed record ResetRequestsView(int Count, DateTimeOffset? WindowStart);
}
