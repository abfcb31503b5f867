using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// Folds a finished point into its sweep's record: marks it finished, moves the leader if it beats it
/// (<see cref="SweepSelection"/>), and when it was the last point, decides the sweep — winner, status, and the
/// winner's promotion if the sweep asked for it. Called by the run that finished the job (no polling loop, no
/// orchestrator), and by readers to heal a record a crashed run left behind. Idempotent: a point is folded once,
/// whoever comes second finds it done. Concurrent finishes retry on ETag conflicts.
/// </summary>
public sealed class SweepRecorder(TableSweepStore sweeps, TableJobStore jobs, BlobModelRegistry models, TimeProvider time, ILogger<SweepRecorder> logger)
{
    internal const int MaxConflicts = 50;

    /// <summary>After a run of <paramref name="jobId"/> ends, however it ended: records the point if its job has finished.</summary>
    public async Task JobEndedAsync(string jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            if (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { Job: { SweepId: not null, IsFinished: true } job })
            {
                await PointFinishedAsync(job, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The job's own record is written; reading the sweep folds the point in later.
            logger.LogWarning(e, "Job {JobId}: could not record the point in its sweep", jobId);
        }
    }

    public async Task<Sweep?> PointFinishedAsync(TrainingJob job, CancellationToken cancellationToken = default)
    {
        if (job.SweepId is not { } sweepId || !job.IsFinished || Sweep.PointIndexOf(job.Id) is not int index)
        {
            return null;
        }

        for (int attempt = 0; attempt < MaxConflicts; attempt++)
        {
            if (await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                logger.LogWarning("Job {JobId} names sweep {SweepId}, which has no record", job.Id, sweepId);
                return null;
            }

            var sweep = stored.Sweep;
            if (index >= sweep.PointCount || sweep.Finished[index] != Sweep.Unfinished)
            {
                return await PromoteIfDueAsync(stored, cancellationToken).ConfigureAwait(false);
            }

            var updated = Fold(sweep, index, job, time.GetUtcNow());
            if (await sweeps.TryReplaceAsync(updated, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
            {
                if (written.Sweep.Status != SweepStatus.Running)
                {
                    logger.LogInformation("Sweep {SweepId} {Status}; winner {Winner}", sweepId, written.Sweep.Status, written.Sweep.Winner?.JobId);
                }

                return await PromoteIfDueAsync(written, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Sweep {sweepId}'s record kept changing while point {index} was recorded.");
    }

    private static Sweep Fold(Sweep sweep, int index, TrainingJob job, DateTimeOffset now)
    {
        char mark = job.Status switch
        {
            TrainingJobStatus.Succeeded => 's',
            TrainingJobStatus.Cancelled => 'c',
            _ => 'f',
        };
        var finished = sweep.Finished.ToCharArray();
        finished[index] = mark;

        var leader = sweep.Leader;
        if (job.Status == TrainingJobStatus.Succeeded && job.Metrics is [.., var last] && last.ValidationAccuracy is double validation)
        {
            var candidate = new SweepLeader(index, job.Id, job.ModelId, validation, last.TestAccuracy, SweepPoint.ParametersAt(job.Options.HiddenUnits));
            leader = SweepSelection.Best([leader, candidate], l => l?.Candidate)!;
        }

        var updated = sweep with { Finished = new string(finished), Leader = leader, UpdatedAt = now };
        if (!updated.AllFinished)
        {
            return updated;
        }

        var status = sweep.CancelRequested ? SweepStatus.Cancelled : leader is null ? SweepStatus.Failed : SweepStatus.Succeeded;
        return updated with
        {
            Status = status,
            FinishedAt = now,
            Winner = status == SweepStatus.Succeeded ? leader : null,
            Promoted = sweep.Request.Promote == true && status == SweepStatus.Succeeded ? null : false,
        };
    }

    /// <summary>Promotes a succeeded sweep's winner when asked and not yet done; records the outcome.</summary>
    public async Task<Sweep> PromoteIfDueAsync(StoredSweep stored, CancellationToken cancellationToken = default)
    {
        while (stored.Sweep is { Status: SweepStatus.Succeeded, Promoted: null, Winner.ModelId: { } modelId })
        {
            // Like a job's automatic promotion, never over a newer model someone made current meanwhile.
            var pointer = await models.PromoteAsync(modelId, onlyIfNewer: true, cancellationToken).ConfigureAwait(false);
            var promoted = stored.Sweep with { Promoted = pointer.ModelId == modelId, UpdatedAt = time.GetUtcNow() };
            stored = await sweeps.TryReplaceAsync(promoted, stored.ETag, cancellationToken).ConfigureAwait(false)
                ?? await sweeps.GetAsync(stored.Sweep.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new SweepNotFoundException(stored.Sweep.Id);
        }

        return stored.Sweep;
    }
}
