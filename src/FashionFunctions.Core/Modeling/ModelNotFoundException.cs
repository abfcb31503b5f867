namespace FashionFunctions.Core.Modeling;

public sealed class ModelNotFoundException(string modelId) : Exception($"Model '{modelId}' does not exist.")
{
    public string ModelId { get; } = modelId;
}
