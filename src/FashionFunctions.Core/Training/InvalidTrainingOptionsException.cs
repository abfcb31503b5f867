namespace FashionFunctions.Core.Training;

/// <summary>A training option is out of range. <see cref="Field"/> is its JSON name (camelCase), as a caller sent it.</summary>
public sealed class InvalidTrainingOptionsException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
