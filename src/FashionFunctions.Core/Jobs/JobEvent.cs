namespace FashionFunctions.Core.Jobs;

/// <summary>A job's record as one change made it, and that change's id: the row's ETag, opaque to clients. Every
/// event carries the whole record (metrics of every epoch included), so the latest one holds every change before it.</summary>
public sealed record JobEvent(string Id, TrainingJob Job);
