using System.Diagnostics;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using FashionFunctions.Core.Training;
using static TorchSharp.torch;

namespace FashionFunctions.Benchmarks;

/// <summary>One phase of a training step and its mean cost.</summary>
internal sealed record StepPhaseCost(string Phase, double MicrosecondsPerStep, double Share);

/// <summary>Where one training step's time goes, phase by phase.</summary>
internal sealed record StepBudgetResult(int BatchSize, int Steps, double MicrosecondsPerStep, double UntimedStepMicroseconds, IReadOnlyList<StepPhaseCost> Phases);

/// <summary>
/// Times every phase of <see cref="FusedAdamTrainer"/>'s step over one epoch in the trainer's own order, after a
/// warm-up epoch, and the same epoch again without the clock, to show what timing itself costs.
/// </summary>
internal static class StepBudget
{
    public static StepBudgetResult Run(FashionMnistDataset dataset, TrainingOptions options)
    {
        TorchRuntime.EnsureAvailable();
        int libtorchThreads = get_num_threads();
        set_num_threads(1); // as Trainer.Train does for its own thread, restored below
        try
        {
            return Measure(dataset, options);
        }
        finally
        {
            set_num_threads(libtorchThreads);
        }
    }

    private static StepBudgetResult Measure(FashionMnistDataset dataset, TrainingOptions options)
    {
        using var generator = new Generator((ulong)options.Seed);
        using var initial = new FashionMlp(options.HiddenUnits, generator);
        var train = dataset.Train;
        int batch = options.BatchSize;
        int steps = train.Count / batch;
        using var trainer = new FusedAdamTrainer(initial, options, [batch]);
        var order = new int[train.Count];

        void Epoch(int epoch)
        {
            EpochOrder.Fill(options.Seed, epoch, order);
            for (int s = 0; s < steps; s++)
            {
                trainer.Step(train, order.AsMemory(s * batch, batch));
            }
        }

        Epoch(1);
        var untimed = Stopwatch.StartNew();
        Epoch(2);
        double untimedMicroseconds = untimed.Elapsed.TotalMicroseconds / steps;

        var phases = new StepPhaseTimes();
        trainer.Phases = phases;
        Epoch(3);
        trainer.Phases = null;

        double total = Enum.GetValues<StepPhase>().Sum(phases.MicrosecondsPerStep);
        var costs = Enum.GetValues<StepPhase>()
            .Select(p => new StepPhaseCost(p.ToString(), phases.MicrosecondsPerStep(p), phases.MicrosecondsPerStep(p) / total))
            .ToList();
        return new StepBudgetResult(batch, steps, total, untimedMicroseconds, costs);
    }
}
