namespace FashionFunctions.Core.Storage;

/// <summary>The content of current.json: which model the classify endpoint serves by default.</summary>
public sealed record CurrentModelPointer(string ModelId, DateTimeOffset ModelCreatedAt, DateTimeOffset PromotedAt);

/// <summary>The pointer as read, with the ETag that a conditional write or a revalidation compares against.</summary>
public sealed record VersionedPointer(CurrentModelPointer Pointer, string ETag);
