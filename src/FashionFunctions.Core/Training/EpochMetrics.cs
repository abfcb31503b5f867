namespace FashionFunctions.Core.Training;

/// <summary>One epoch's outcome: mean training loss, training and test accuracy, wall time, and the validation
/// accuracy when the run holds out a validation split (null otherwise).</summary>
public sealed record EpochMetrics(int Epoch, double Loss, double TrainAccuracy, double TestAccuracy, double DurationSeconds, double? ValidationAccuracy = null);
