using System.Text.Json.Serialization;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// Serializers compiled ahead of time for what a new worker reads before its first answer (the current-model pointer
/// and the manifest): built by reflection, they cost its start-up tens of milliseconds. Used through
/// <see cref="ModelJson.Options"/>, so the conventions are the same; every other type is still served by reflection.
/// </summary>
[JsonSerializable(typeof(CurrentModelPointer))]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
