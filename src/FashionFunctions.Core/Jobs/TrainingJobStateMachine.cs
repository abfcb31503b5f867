using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// The job lifecycle, in one place: queued → running → succeeded | failed | cancelled, a running job may go back
/// to queued (its run released it to be retried), and succeeded, failed and cancelled are final — nothing
/// changes a finished record. Once a run starts publishing its model the job cannot be cancelled, and it stays
/// publishing until it finishes.
/// </summary>
public sealed class TrainingJobStateMachine : IStateMachine<TrainingJob>
{
    public static readonly TrainingJobStateMachine Instance = new();

    public bool Allows(TrainingJob before, TrainingJob after)
    {
        if (before.Id != after.Id || before.IsFinished)
        {
            return false;
        }

        if (before.Publishing && (after.Status == TrainingJobStatus.Cancelled || (!after.IsFinished && !after.Publishing)))
        {
            return false;
        }

        return after.Status switch
        {
            TrainingJobStatus.Succeeded => before.Status == TrainingJobStatus.Running && after.ModelId is not null,
            _ => true,
        };
    }

    /// <summary>Only a finished job may be deleted: nothing running (or queued to run) is ever removed.</summary>
    public bool AllowsRemoval(TrainingJob job) => job.IsFinished;

    public static string Describe(TrainingJob job) => job.Publishing ? $"{job.Status} (publishing)" : job.Status.ToString();
}
