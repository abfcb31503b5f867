namespace FashionFunctions.Core.Training;

/// <summary>One epoch's outcome: mean training loss, training and test accuracy, wall time.</summary>
public sealed record EpochMetrics(int Epoch, double Loss, double TrainAccuracy, double TestAccuracy, double DurationSeconds);
