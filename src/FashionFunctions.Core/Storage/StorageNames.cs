namespace FashionFunctions.Core.Storage;

/// <summary>The containers, prefixes and queues the app uses. Documented in docs/jobs.md ("Storage layout").</summary>
public static class StorageNames
{
    public const string DatasetContainer = "datasets";
    public const string DatasetPrefix = "fashion-mnist/";
    public const string ModelContainer = "models";
    public const string CurrentModelBlob = "current.json";
    public const string JobTable = "trainingjobs";
    public const string CheckpointContainer = "checkpoints";
    public const string TrainingQueue = "training-jobs";
    public const string TrainingPoisonQueue = TrainingQueue + "-poison";
}
