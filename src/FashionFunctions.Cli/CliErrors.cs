using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli;

/// <summary>Every failure ends as one line on standard error and a non-zero exit code.</summary>
internal static class CliErrors
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static int Report(Exception exception)
    {
        var (code, message) = exception switch
        {
            CommandParseException or CommandRuntimeException => (UsageError, exception.Message),
            ArgumentException or FormatException or Core.Training.InvalidTrainingOptionsException or Core.Sweeps.InvalidSweepException => (UsageError, exception.Message),
            InvalidDatasetException or InvalidModelException or ImageRejectedException or TorchUnavailableException => (Failure, exception.Message),
            OperationCanceledException => (130, "Cancelled."),
            IOException or UnauthorizedAccessException => (Failure, exception.Message),
            Azure.RequestFailedException or HttpRequestException or AggregateException =>
                (Failure, $"storage could not be reached ({exception.Message.Split('\n')[0]}); is Azurite running? (scripts/start-azurite.sh)"),
            _ => (Failure, $"{exception.GetType().Name}: {exception.Message}"),
        };
        Console.Error.WriteLine($"fashion: {OneLine(message)}");
        return code;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
