using System.Diagnostics;
using System.Text.Json;
using AuthCluster.Grains.Import;
using AuthCluster.Silo.Import;

namespace AuthCluster.Silo.Cli;

/// <summary>
/// Tells the operator about an import on standard error: each rejected line with its number and reasons, each line
/// skipped because its email has an account, and — only when a person watches (standard error is a terminal) — a
/// progress bar with rate and ETA. Reasons name fields and rules, never the values: a line may hold a password hash.
/// </summary>
internal sealed class ConsoleImportObserver(CliConsole console, bool json, long? totalBytes) : IImportObserver
{
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _progress = console.ErrorIsTerminal && !json;
    private TimeSpan _drawnAt;
    private bool _barShown;

    /// <summary>Called by the reading side (rejections) and the writing side (batch results) of the import.</summary>
    public void LineDone(long line, LineOutcome outcome, IReadOnlyList<ImportProblem> problems)
    {
        if (outcome is LineOutcome.Rejected or LineOutcome.Exists)
        {
            lock (_gate)
            {
                Report(line, outcome, problems);
            }
        }
    }

    public void Progress(long lines, long bytesRead)
    {
        if (!_progress || _clock.Elapsed - _drawnAt < RedrawEvery)
        {
            return;
        }

        lock (_gate)
        {
            Draw(lines, bytesRead);
        }
    }

    /// <summary>Removes the bar before the summary.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            ClearBar();
        }
    }

    private void Report(long line, LineOutcome outcome, IReadOnlyList<ImportProblem> problems)
    {
        ClearBar();
        if (outcome == LineOutcome.Exists)
        {
            console.Error.WriteLine(json
                ? JsonSerializer.Serialize(new { line, outcome = "skipped", reason = "exists" })
                : $"line {line}: skipped: an account with this email exists in the shop (--update updates it)");
            return;
        }

        foreach (var problem in problems)
        {
            console.Error.WriteLine(json
                ? JsonSerializer.Serialize(new { line, outcome = "rejected", field = problem.Field, message = problem.Message })
                : $"line {line}: {problem.Field}: {problem.Message}");
        }
    }

    private void Draw(long lines, long bytesRead)
    {
        _drawnAt = _clock.Elapsed;
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var rate = lines / seconds;
        string bar;
        if (totalBytes is > 0 and var total)
        {
            var done = Math.Clamp((double)bytesRead / total, 0, 1);
            var filled = (int)(done * 30);
            var remaining = done > 0 ? TimeSpan.FromSeconds(seconds * (1 - done) / done) : TimeSpan.Zero;
            bar = $"[{new string('#', filled)}{new string('.', 30 - filled)}] {done,4:P0}  {lines:N0} lines  {rate:N0}/s  ETA {remaining:h\\:mm\\:ss}";
        }
        else
        {
            bar = $"{lines:N0} lines  {rate:N0}/s";
        }

        console.Error.Write($"\r{bar,-90}");
        _barShown = true;
    }

    private void ClearBar()
    {
        if (_barShown)
        {
            console.Error.Write($"\r{new string(' ', 90)}\r");
            _barShown = false;
        }
    }
}
