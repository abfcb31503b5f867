using System.Text.RegularExpressions;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// What the model list shows of one model: a row of the model index (<see cref="Storage.TableModelIndex"/>), written
/// when the model is published. The manifest stays the source of truth for everything else.
/// </summary>
public sealed partial record ModelSummary
{
    public required string ModelId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required double TestAccuracy { get; init; }
    public double? ValidationAccuracy { get; init; }
    public required int Epochs { get; init; }
    public required int HiddenUnits { get; init; }

    /// <summary>The job that trained it (null: saved by other means).</summary>
    public string? JobId { get; init; }

    /// <summary>The sweep whose point it is, if any.</summary>
    public string? SweepId { get; init; }

    public static ModelSummary Of(ModelManifest manifest, string? jobId, string? sweepId) => new()
    {
        ModelId = manifest.ModelId,
        CreatedAt = manifest.CreatedAt,
        TestAccuracy = manifest.TestAccuracy,
        ValidationAccuracy = manifest.ValidationAccuracy,
        Epochs = manifest.Epochs.Count,
        HiddenUnits = manifest.HiddenUnits,
        JobId = jobId,
        SweepId = sweepId,
    };

    /// <summary>
    /// A summary for a model published before the index existed, whose manifest does not name its job: a training
    /// job's model id is <c>fmnist-</c> and the job id after <c>job-</c> (a sweep's job id adds <c>-p{point}</c>), a
    /// shape no other model id has.
    /// </summary>
    public static ModelSummary Inferred(ModelManifest manifest)
    {
        var match = JobModelId().Match(manifest.ModelId);
        return match.Success
            ? Of(manifest, "job-" + match.Groups["job"].Value + match.Groups["point"].Value,
                match.Groups["point"].Success ? "sweep-" + match.Groups["job"].Value : null)
            : Of(manifest, null, null);
    }

    [GeneratedRegex(@"^fmnist-(?<job>\d{8}-\d{6}-\d{3}-[0-9a-f]{8})(?<point>-p\d{3,})?$")]
    private static partial Regex JobModelId();
}
