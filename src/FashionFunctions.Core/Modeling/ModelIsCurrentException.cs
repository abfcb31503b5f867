namespace FashionFunctions.Core.Modeling;

/// <summary>The current model cannot be deleted: promote another one first (the caller's fault: 409).</summary>
public sealed class ModelIsCurrentException(string modelId)
    : Exception($"Model '{modelId}' is the current model; promote another model before deleting it.")
{
    public string ModelId { get; } = modelId;
}
