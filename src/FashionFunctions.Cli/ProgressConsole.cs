using Spectre.Console;

namespace FashionFunctions.Cli;

/// <summary>Progress and tables go to standard error, so standard output carries only results scripts can read.</summary>
internal static class ProgressConsole
{
    public static IAnsiConsole Create() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}
