using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Budgets;

/// <summary>
/// What a job will cost, in <em>Keras epochs</em>: one unit is one epoch of the tutorial's model (60,000 images,
/// batches of 32, 128 hidden units). The work of a step grows with the hidden width and the batch, but a step on
/// fewer than <see cref="SmallestPricedBatch"/> images costs about as much as one on that many (its fixed
/// per-step work dominates), so small batches are priced as that size: a batch-1 job is not 32 times cheaper per
/// step than the default, it takes 32 times the steps.
/// </summary>
public static class TrainingCost
{
    public const int SmallestPricedBatch = 32;
    private const int FullTrainingSet = 60_000;
    private const double KerasEpochWork = 1875.0 * 32 * 128; // steps × batch × hidden of one tutorial epoch

    public static double Of(TrainingOptions options)
    {
        int images = Math.Min(options.TrainLimit ?? FullTrainingSet, FullTrainingSet - options.ValidationSize);
        long steps = (images + options.BatchSize - 1) / options.BatchSize;
        double epochWork = (double)steps * Math.Max(options.BatchSize, SmallestPricedBatch) * options.HiddenUnits;
        return options.Epochs * epochWork / KerasEpochWork;
    }
}
