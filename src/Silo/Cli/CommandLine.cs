using System.Text;

namespace AuthCluster.Silo.Cli;

/// <summary>Exit codes of the admin commands.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command could not do its work (store unreachable, file missing, interrupted, …).</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: unknown command or option, missing argument.</summary>
    public const int Usage = 2;

    /// <summary>The command finished, but some input was refused (an import with rejected lines).</summary>
    public const int PartlyRejected = 3;

    /// <summary>What the command names does not exist (a customer, a signing key by kid).</summary>
    public const int NotFound = 4;

    /// <summary><c>schema status</c>: the database lacks scripts of this build (run <c>schema apply</c>).</summary>
    public const int Pending = 5;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}

/// <summary>A node of the admin command tree: a group of commands, or a command that runs.</summary>
internal abstract record CliNode(string Name, string Summary);

internal sealed record CliGroup(string Name, string Summary, IReadOnlyList<CliNode> Children) : CliNode(Name, Summary);

/// <summary>A positional argument; <paramref name="Required"/> false makes it optional (only the last may be).</summary>
internal sealed record CliArgument(string Name, string Help, bool Required = true);

/// <summary>An option <c>--name</c>; with <paramref name="ValueName"/> it takes a value (<c>--name v</c> or <c>--name=v</c>).</summary>
internal sealed record CliOption(string Name, string Help, string? ValueName = null);

internal sealed record CliCommand(
    string Name,
    string Summary,
    IReadOnlyList<CliArgument> Arguments,
    IReadOnlyList<CliOption> Options,
    Func<CliInvocation, Task<int>> RunAsync,
    string? Details = null) : CliNode(Name, Summary);

/// <summary>The streams a command talks to; the real console or, in tests, memory.</summary>
/// <param name="Input">Standard input, for <c>-</c> as a file name.</param>
/// <param name="Output">Standard output as bytes, for data a command writes (an export).</param>
/// <param name="Out">Standard output as text, for results and summaries.</param>
/// <param name="Error">Standard error, for problems and progress.</param>
/// <param name="ErrorIsTerminal">Whether a person watches standard error, so that a progress bar makes sense.</param>
internal sealed record CliConsole(Func<Stream> Input, Func<Stream> Output, TextWriter Out, TextWriter Error, bool ErrorIsTerminal)
{
    public static CliConsole System() => new(
        Console.OpenStandardInput,
        Console.OpenStandardOutput,
        Console.Out,
        Console.Error,
        !Console.IsErrorRedirected);
}

/// <summary>A parsed command line, ready to run.</summary>
internal sealed class CliInvocation(
    IReadOnlyDictionary<string, string> arguments,
    IReadOnlyDictionary<string, string?> options,
    Func<IConfiguration> configuration,
    CliConsole console,
    CancellationToken cancellation)
{
    private IConfiguration? _configuration;

    public CliConsole Console => console;

    public CancellationToken Cancellation => cancellation;

    /// <summary>The silo's configuration (appsettings, environment, <c>--Section:Key=value</c> overrides), read on first use.</summary>
    public IConfiguration Configuration => _configuration ??= configuration();

    public string? Argument(string name) => arguments.GetValueOrDefault(name);

    public bool Has(string option) => options.ContainsKey(option);

    public string? Option(string option) => options.GetValueOrDefault(option);
}

/// <summary>
/// Runs an admin command line against a command tree: walks groups by name, parses the command's options and
/// arguments, and answers <c>--help</c> at every level. Arguments of the form <c>--Section:Key=value</c> (or
/// <c>--Section:Key value</c>) are configuration overrides, as for the silo itself, and go to the configuration.
/// </summary>
internal static class CommandLine
{
    public const string Program = "dotnet run --project src/Silo --";

    private static readonly CliOption HelpOption = new("help", "Show this help.");

    public static async Task<int> RunAsync(
        CliGroup root,
        IReadOnlyList<string> args,
        Func<IReadOnlyList<string>, IConfiguration> configure,
        CliConsole console,
        CancellationToken cancellation)
    {
        CliNode node = root;
        var path = new List<string>();
        var position = 0;
        while (node is CliGroup group)
        {
            if (position == args.Count)
            {
                await console.Error.WriteAsync(GroupHelp(group, path));
                return ExitCodes.Usage;
            }

            var token = args[position];
            if (IsHelp(token))
            {
                await console.Out.WriteAsync(GroupHelp(group, path));
                return ExitCodes.Ok;
            }

            var child = group.Children.FirstOrDefault(c => c.Name == token);
            if (child is null)
            {
                var what = token.StartsWith('-') ? "option" : "command";
                await console.Error.WriteLineAsync($"Unknown {what} '{token}'.");
                await console.Error.WriteAsync(GroupHelp(group, path));
                return ExitCodes.Usage;
            }

            path.Add(child.Name);
            node = child;
            position++;
        }

        var command = (CliCommand)node;
        if (args.Skip(position).Any(IsHelp))
        {
            await console.Out.WriteAsync(CommandHelp(command, path));
            return ExitCodes.Ok;
        }

        if (!TryParse(command, args.Skip(position).ToList(), out var parsed, out var problem))
        {
            await console.Error.WriteLineAsync(problem);
            await console.Error.WriteAsync(CommandHelp(command, path));
            return ExitCodes.Usage;
        }

        var invocation = new CliInvocation(parsed.Arguments, parsed.Options, () => configure(parsed.Configuration), console, cancellation);
        return await command.RunAsync(invocation);
    }

    private static bool IsHelp(string token) => token is "--help" or "-h" or "-?" or "help";

    private static bool TryParse(CliCommand command, List<string> tokens, out Parsed parsed, out string? problem)
    {
        parsed = new Parsed();
        problem = null;
        var positional = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token == "--")
            {
                // The conventional end of options: everything after it is an argument, whatever it looks like.
                positional.AddRange(tokens.Skip(i + 1));
                break;
            }

            // Options are --name only, so an argument may begin with a single '-' (a key id is base64url: '-abc…').
            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(token);
                continue;
            }

            var body = token.TrimStart('-');
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? body : body[..equals];
            string? inlineValue = equals < 0 ? null : body[(equals + 1)..];

            if (name.Contains(':', StringComparison.Ordinal))
            {
                // A configuration override, handed to the configuration exactly as the silo would read it.
                parsed.Configuration.Add(token);
                if (inlineValue is null && i + 1 < tokens.Count)
                {
                    parsed.Configuration.Add(tokens[++i]);
                }

                continue;
            }

            var option = command.Options.FirstOrDefault(o => o.Name == name);
            if (option is null || !token.StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"Unknown option '{token}'.";
                return false;
            }

            if (option.ValueName is null)
            {
                if (inlineValue is not null)
                {
                    problem = $"Option --{name} takes no value.";
                    return false;
                }

                parsed.Options[name] = null;
            }
            else if (inlineValue is not null)
            {
                parsed.Options[name] = inlineValue;
            }
            else if (i + 1 < tokens.Count)
            {
                parsed.Options[name] = tokens[++i];
            }
            else
            {
                problem = $"Option --{name} needs a value ({option.ValueName}).";
                return false;
            }
        }

        var required = command.Arguments.Count(a => a.Required);
        if (positional.Count < required)
        {
            problem = $"Missing {command.Arguments[positional.Count].Name}.";
            return false;
        }

        if (positional.Count > command.Arguments.Count)
        {
            problem = $"Unexpected argument '{positional[command.Arguments.Count]}'.";
            return false;
        }

        for (var i = 0; i < positional.Count; i++)
        {
            parsed.Arguments[command.Arguments[i].Name] = positional[i];
        }

        return true;
    }

    private static string GroupHelp(CliGroup group, IReadOnlyList<string> path)
    {
        var text = new StringBuilder();
        var prefix = string.Join(' ', path.Prepend(Program));
        text.AppendLine(group.Summary);
        text.AppendLine();
        text.AppendLine($"Usage: {prefix} <command> [options]");
        text.AppendLine();
        text.AppendLine("Commands:");
        var width = group.Children.Max(c => c.Name.Length) + 2;
        foreach (var child in group.Children)
        {
            text.AppendLine($"  {child.Name.PadRight(width)}{child.Summary}");
        }

        text.AppendLine();
        text.AppendLine($"Run '{prefix} <command> --help' for more.");
        return text.ToString();
    }

    private static string CommandHelp(CliCommand command, IReadOnlyList<string> path)
    {
        var text = new StringBuilder();
        text.AppendLine(command.Summary);
        text.AppendLine();
        var arguments = string.Concat(command.Arguments.Select(a => a.Required ? $" {a.Name}" : $" [{a.Name}]"));
        text.AppendLine($"Usage: {string.Join(' ', path.Prepend(Program))} [options]{arguments}");
        if (command.Details is not null)
        {
            text.AppendLine();
            text.AppendLine(command.Details);
        }

        if (command.Arguments.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Arguments:");
            var width = command.Arguments.Max(a => a.Name.Length) + 2;
            foreach (var argument in command.Arguments)
            {
                text.AppendLine($"  {argument.Name.PadRight(width)}{argument.Help}");
            }
        }

        text.AppendLine();
        text.AppendLine("Options:");
        var options = command.Options.Append(HelpOption)
            .Select(o => (Name: o.ValueName is null ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}", o.Help))
            .Append((Name: "--Section:Key=value", Help: "Override a configuration setting, as for the silo (e.g. --Storage:ConnectionString=...)."))
            .ToList();
        var optionWidth = options.Max(o => o.Name.Length) + 2;
        foreach (var (name, help) in options)
        {
            text.AppendLine($"  {name.PadRight(optionWidth)}{help}");
        }

        return text.ToString();
    }

    private sealed class Parsed
    {
        public Dictionary<string, string> Arguments { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string?> Options { get; } = new(StringComparer.Ordinal);
        public List<string> Configuration { get; } = [];
    }
}
