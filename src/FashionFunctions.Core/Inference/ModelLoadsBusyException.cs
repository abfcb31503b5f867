namespace FashionFunctions.Core.Inference;

/// <summary>Every model-load slot of this worker stayed busy for as long as a load may wait: the caller retries shortly.</summary>
public sealed class ModelLoadsBusyException(int maxConcurrentLoads)
    : Exception($"This instance is already loading its limit of {maxConcurrentLoads} models at once (setting MaxConcurrentModelLoads); retry shortly.")
{
    public int MaxConcurrentLoads { get; } = maxConcurrentLoads;
}
