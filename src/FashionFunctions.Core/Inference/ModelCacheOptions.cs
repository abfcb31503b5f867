using System.ComponentModel.DataAnnotations;

namespace FashionFunctions.Core.Inference;

public sealed class ModelCacheOptions
{
    /// <summary>How often, at most, a worker asks storage whether the current model changed.</summary>
    [Range(0, 3600)]
    public int RevalidateSeconds { get; set; } = 30;

    /// <summary>How many models, current or asked for by id, a worker keeps loaded.</summary>
    [Range(1, 64)]
    public int Capacity { get; set; } = 4;
}
