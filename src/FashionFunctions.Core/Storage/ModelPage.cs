using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>One page of the model list, newest first, and which model is current (null: none).</summary>
public sealed record ModelPage(IReadOnlyList<ModelSummary> Items, string? Next, string? CurrentModelId);
