using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Inference;

/// <summary>The current model's files and the pointer version (ETag) they were fetched at.</summary>
public sealed record FetchedCurrentModel(CurrentModelRef Current, ModelArtifact Artifact)
{
    /// <summary>Reads the current-model pointer, then the model it names; null when no model is current.</summary>
    public static async Task<FetchedCurrentModel?> FetchAsync(IModelSource source, CancellationToken cancellationToken = default)
    {
        var current = await source.GetCurrentModelAsync(cancellationToken).ConfigureAwait(false);
        return current is null ? null : new FetchedCurrentModel(current, await source.LoadAsync(current.ModelId, cancellationToken).ConfigureAwait(false));
    }
}
