using FashionFunctions.Core.Data;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Benchmarks;

/// <summary>
/// Test accuracy after a full run, for several seeds: one seed's accuracy moves by several tenths of a percent
/// with the initialisation, the order and the CPU's summation order, so a claim about "the" accuracy needs a mean
/// and a spread.
/// </summary>
internal sealed record AccuracyOverSeeds(IReadOnlyList<long> Seeds, IReadOnlyList<double> Accuracies)
{
    public double Mean => Accuracies.Average();

    public double StandardDeviation => Math.Sqrt(Accuracies.Sum(x => (x - Mean) * (x - Mean)) / Math.Max(1, Accuracies.Count - 1));

    public static AccuracyOverSeeds Run(FashionMnistDataset dataset, TrainingOptions options, IReadOnlyList<long> seeds) =>
        new(seeds, seeds.Select(seed => Trainer.Train(dataset, options with { Seed = seed }).TestAccuracy).ToList());
}
