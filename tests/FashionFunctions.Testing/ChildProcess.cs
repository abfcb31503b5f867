using System.Diagnostics;

namespace FashionFunctions.Testing;

/// <summary>What a finished child process printed, and how it exited.</summary>
public sealed record ChildProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The last line it wrote to standard error: a one-line reason for a failure.</summary>
    public string LastErrorLine => StandardError.Trim().Split('\n').LastOrDefault() ?? "";
}

/// <summary>Runs a program to its end with both outputs read as they come (neither pipe can fill and block it).</summary>
public static class ChildProcess
{
    public static ChildProcessResult Run(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}: {string.Join(' ', args)}");
        }

        process.WaitForExit(); // the outputs are complete only after the untimed wait
        return new ChildProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The dotnet host this process runs under (or the one on the PATH).</summary>
    public static string Dotnet => Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
}
