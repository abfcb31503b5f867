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

    /// <summary>How many models a worker downloads and loads at once (each load holds its weights twice in memory
    /// while it checks them); more wait for a slot.</summary>
    public int MaxConcurrentLoads { get; set; } = 2;

    /// <summary>How long a load waits for a slot before the request is refused (<see cref="ModelLoadsBusyException"/>).</summary>
    public int LoadQueueSeconds { get; set; } = 10;
}
