namespace FashionFunctions.Core.Inference;

/// <remarks>Plain values: the app validates them where they are configured (FashionFunctionsOptions).</remarks>
public sealed class ModelCacheOptions
{
    /// <summary>How often, at most, a worker asks storage whether the current model changed.</summary>
    public int RevalidateSeconds { get; set; } = 30;

    /// <summary>How many models, current or asked for by id, a worker keeps loaded.</summary>
    public int Capacity { get; set; } = 4;

    /// <summary>How long "no model yet" is believed before storage is asked again.</summary>
    public int NoModelRetrySeconds { get; set; } = 5;
}
