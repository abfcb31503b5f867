namespace FashionFunctions.Core.Training;

/// <summary>A progress report: where training is, and the metrics of the epoch just finished, if one has.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss, EpochMetrics? CompletedEpoch)
{
    /// <summary>Fraction of the whole run done, 0 to 1.</summary>
    public double Fraction => ((Epoch - 1) + (double)Step / StepsPerEpoch) / Epochs;
}
