using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// What a caller asks of a sweep (the body of <c>POST /api/sweeps</c>, and what <c>fashion sweep</c> builds from its
/// options): a <see cref="Grid"/> and/or a list of <see cref="Points"/>, a <see cref="Budget"/> on the number of
/// training jobs, and whether to <see cref="Promote"/> the winner. The grid's combinations come first, then the
/// listed points; a point that repeats an earlier one is dropped.
/// </summary>
public sealed record SweepRequest
{
    public const int MaxBudget = 256;
    public const int DefaultBudget = 64;
    public const int DefaultValidationSize = 10_000;

    public SweepGrid? Grid { get; init; }
    public IReadOnlyList<SweepPointOptions>? Points { get; init; }

    /// <summary>The most training jobs this sweep may create (1–256, default 64); a larger expansion is refused.</summary>
    public int? Budget { get; init; }

    /// <summary>Make the winner the current model once every point has finished. Default false.</summary>
    public bool? Promote { get; init; }

    /// <summary>Training images held out (the last ones) to choose the winner on. Default 10,000.</summary>
    public int? ValidationSize { get; init; }

    /// <summary>Train every point on the first N images only: quick sweeps for tests and demos.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Validates and expands the request. Throws <see cref="InvalidSweepException"/> naming the first bad field.</summary>
    /// <summary>Binds an idempotency key to the request it was first used with.</summary>
    public string Hash() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(this, Modeling.ModelJson.Options)));

    public SweepPlan Plan()
    {
        int budget = Budget ?? DefaultBudget;
        if (budget is < 1 or > MaxBudget)
        {
            throw new InvalidSweepException("budget", $"must be between 1 and {MaxBudget}, not {budget}.");
        }

        int validationSize = ValidationSize ?? DefaultValidationSize;
        if (validationSize < 1)
        {
            throw new InvalidSweepException("validationSize", $"a sweep chooses its winner on held-out images: must be at least 1, not {validationSize}.");
        }

        CheckInRange("validationSize", o => o with { ValidationSize = validationSize });

        if (TrainLimit is int limit)
        {
            CheckInRange("trainLimit", o => o with { TrainLimit = limit, ValidationSize = validationSize });
        }

        if (Grid is null && Points is null)
        {
            throw new InvalidSweepException("grid", "give a grid, a list of points, or both.");
        }

        var expanded = new List<SweepPoint>();
        if (Grid is { } grid)
        {
            ExpandGrid(grid, budget, expanded);
        }

        if (Points?.Count > MaxBudget)
        {
            throw OverBudget(Points.Count, budget);
        }

        for (int i = 0; i < (Points?.Count ?? 0); i++)
        {
            var options = Points![i] ?? throw new InvalidSweepException($"points[{i}]", "must be an object, not null.");
            expanded.Add(Point(
                $"points[{i}]",
                options.LearningRate ?? Defaults.LearningRate,
                options.BatchSize ?? Defaults.BatchSize,
                options.Epochs ?? Defaults.Epochs,
                options.HiddenUnits ?? DefaultHiddenUnits,
                options.Seed ?? Defaults.Seed));
        }

        var distinct = new List<SweepPoint>();
        foreach (var point in expanded.Where(p => !distinct.Exists(p.SameSettingsAs)))
        {
            distinct.Add(point with { Index = distinct.Count });
        }

        if (distinct.Count == 0)
        {
            throw new InvalidSweepException("points", "the sweep has no points.");
        }

        if (distinct.Count > budget)
        {
            throw OverBudget(distinct.Count, budget);
        }

        return new SweepPlan(distinct, budget, Promote ?? false, validationSize, TrainLimit);
    }

    private const int DefaultHiddenUnits = FashionMlp.HiddenUnits;
    private static readonly TrainingOptions Defaults = new();

    private static void ExpandGrid(SweepGrid grid, int budget, List<SweepPoint> into)
    {
        double[] learningRates = Axis("grid.learningRate", grid.LearningRate, Defaults.LearningRate);
        int[] batchSizes = Axis("grid.batchSize", grid.BatchSize, Defaults.BatchSize);
        int[] epochs = Axis("grid.epochs", grid.Epochs, Defaults.Epochs);
        int[] hiddenUnits = Axis("grid.hiddenUnits", grid.HiddenUnits, DefaultHiddenUnits);
        long[] seeds = Axis("grid.seed", grid.Seed, Defaults.Seed);

        for (int l = 0; l < learningRates.Length; l++)
        {
            CheckInRange($"grid.learningRate[{l}]", o => o with { LearningRate = learningRates[l] });
        }

        for (int b = 0; b < batchSizes.Length; b++)
        {
            CheckInRange($"grid.batchSize[{b}]", o => o with { BatchSize = batchSizes[b] });
        }

        for (int e = 0; e < epochs.Length; e++)
        {
            CheckInRange($"grid.epochs[{e}]", o => o with { Epochs = epochs[e] });
        }

        for (int h = 0; h < hiddenUnits.Length; h++)
        {
            CheckHiddenUnits($"grid.hiddenUnits[{h}]", hiddenUnits[h]);
        }

        // Counted before expanding, so that a huge grid is refused without being built.
        long combinations = 1;
        foreach (int length in new[] { learningRates.Length, batchSizes.Length, epochs.Length, hiddenUnits.Length, seeds.Length })
        {
            combinations = Math.Min(combinations * length, MaxBudget + 1L);
        }

        if (combinations > budget)
        {
            throw OverBudget(combinations, budget);
        }

        for (int l = 0; l < learningRates.Length; l++)
        {
            for (int b = 0; b < batchSizes.Length; b++)
            {
                for (int e = 0; e < epochs.Length; e++)
                {
                    for (int h = 0; h < hiddenUnits.Length; h++)
                    {
                        for (int s = 0; s < seeds.Length; s++)
                        {
                            into.Add(new SweepPoint(into.Count, learningRates[l], batchSizes[b], epochs[e], hiddenUnits[h], seeds[s]));
                        }
                    }
                }
            }
        }
    }

    private static T[] Axis<T>(string field, IReadOnlyList<T>? values, T fallback)
        where T : IEquatable<T>
    {
        if (values is null)
        {
            return [fallback];
        }

        if (values.Count == 0)
        {
            throw new InvalidSweepException(field, "must list at least one value (or be left out for the default).");
        }

        if (values.Count > MaxBudget)
        {
            throw OverBudget(values.Count, MaxBudget);
        }

        for (int i = 1; i < values.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (values[i].Equals(values[j]))
                {
                    throw new InvalidSweepException($"{field}[{i}]", $"{values[i]} is already listed at [{j}].");
                }
            }
        }

        return [.. values];
    }

    private static SweepPoint Point(string field, double learningRate, int batchSize, int epochs, int hiddenUnits, long seed)
    {
        CheckInRange($"{field}.learningRate", o => o with { LearningRate = learningRate });
        CheckInRange($"{field}.batchSize", o => o with { BatchSize = batchSize });
        CheckInRange($"{field}.epochs", o => o with { Epochs = epochs });
        CheckHiddenUnits($"{field}.hiddenUnits", hiddenUnits);
        return new SweepPoint(0, learningRate, batchSize, epochs, hiddenUnits, seed);
    }

    /// <summary>The ranges are the training options' own; only the field's path is the sweep's.</summary>
    private static void CheckInRange(string field, Func<TrainingOptions, TrainingOptions> with)
    {
        try
        {
            with(Defaults).Validate();
        }
        catch (InvalidTrainingOptionsException e)
        {
            string reason = e.Message[(e.Field.Length + 2)..].Replace($"The field {e.Field} ", "", StringComparison.Ordinal);
            throw new InvalidSweepException(field, reason);
        }
    }

    private static void CheckHiddenUnits(string field, int hiddenUnits) => CheckInRange(field, o => o with { HiddenUnits = hiddenUnits });

    private static InvalidSweepException OverBudget(long points, int budget) =>
        new("budget", points > MaxBudget
            ? $"the sweep expands to more than {MaxBudget} points, the most a sweep may have."
            : $"the sweep expands to {points} points, over its budget of {budget}; raise budget (at most {MaxBudget}) or trim the grid.");
}
