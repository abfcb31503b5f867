namespace FashionFunctions.Core.Training;

/// <summary>A training checkpoint is malformed, corrupt, or does not belong to the run it was offered to.</summary>
public sealed class InvalidCheckpointException : Exception
{
    public InvalidCheckpointException(string message) : base(message)
    {
    }

    public InvalidCheckpointException(string message, Exception inner) : base(message, inner)
    {
    }
}
