using Microsoft.Extensions.Logging;

namespace FashionFunctions.JobWorker.TestHost;

/// <summary>Log lines on stdout, flushed at once, so that a test reading a killed process still sees them.</summary>
internal sealed class StdoutLogger<T> : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Console.Out.WriteLine($"{logLevel}: {formatter(state, exception)}");
        Console.Out.Flush();
    }
}
