using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Inference;

/// <summary>Where the model cache gets models from (the blob registry in the app).</summary>
public interface IModelSource
{
    /// <summary>Throws <see cref="ModelNotFoundException"/> for an unknown id.</summary>
    Task<ModelArtifact> LoadAsync(string modelId, CancellationToken cancellationToken = default);

    /// <summary>The current model and the version (ETag) of the pointer naming it; null when there is none.</summary>
    Task<CurrentModelRef?> GetCurrentModelAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether the model is (still) stored: one cheap look, no download.</summary>
    Task<bool> ExistsAsync(string modelId, CancellationToken cancellationToken = default);

    /// <summary>Just the pointer's version, cheaply; null when there is none.</summary>
    Task<string?> GetCurrentETagAsync(CancellationToken cancellationToken = default);
}

public sealed record CurrentModelRef(string ModelId, string ETag);
