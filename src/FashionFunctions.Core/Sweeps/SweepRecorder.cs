using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// Folds a finished point into its sweep's record: marks it finished, moves the leader if it beats it
/// (<see cref="SweepSelection"/>), and when it was the last point, decides the sweep — winner, status, and the
/// winner's promotion if the sweep asked for it. Called by every path that finishes a job (its run, the poison
/// handler, a cancel), and by the watchdog and readers to heal a record a crashed caller left behind. Idempotent:
/// a point is folded once, whoever comes second finds it done.
/// </summary>
public sealed class SweepRecorder(TableSweepStore sweeps, TableJobStore jobs, BlobModelRegistry models, TimeProvider time, ILogger<SweepRecorder> logger)
{
    /// <summary>After a run of <paramref name="jobId"/> ends, however it ended: records the point if its job has
    /// finished. Never throws: a point it could not fold is folded by the watchdog's next run.</summary>
    public async Task JobEndedAsync(string jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            if (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { Record: { SweepId: not null, IsFinished: true } job })
            {
                await PointsFinishedAsync(job.SweepId, [job], cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Job {JobId}: could not record the point in its sweep; the watchdog folds it in later", jobId);
        }
    }

    /// <summary>Folds every finished job of <paramref name="finished"/> that the record does not count yet, in one
    /// write, then promotes the winner if that is due. Returns the sweep as it stands; null when it has no record.</summary>
    public async Task<Sweep?> PointsFinishedAsync(string sweepId, IEnumerable<TrainingJob> finished, CancellationToken cancellationToken = default)
    {
        var points = finished.Where(j => j.IsFinished && j.SweepId == sweepId).ToList();
        var written = await sweeps.UpdateAsync(sweepId, stored =>
        {
            var sweep = stored.Record;
            foreach (var job in points)
            {
                if (Sweep.PointIndexOf(job.Id) is int index && index < sweep.PointCount && sweep.Finished[index] == Sweep.Unfinished && sweep.Status == SweepStatus.Running)
                {
                    sweep = Fold(sweep, index, job, time.GetUtcNow());
                }
            }

            return sweep;
        }, cancellationToken).ConfigureAwait(false);
        if (written is null)
        {
            logger.LogWarning("Sweep {SweepId} has no record; its jobs' results cannot be folded in", sweepId);
            return null;
        }

        if (written.Record.Status != SweepStatus.Running && written.Record.Promoted is null)
        {
            logger.LogInformation("Sweep {SweepId} {Status}; winner {Winner}", sweepId, written.Record.Status, written.Record.Winner?.JobId);
        }

        return await PromoteIfDueAsync(written, cancellationToken).ConfigureAwait(false);
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
    public async Task<Sweep> PromoteIfDueAsync(Stored<Sweep> stored, CancellationToken cancellationToken = default)
    {
        if (stored.Record is not { Status: SweepStatus.Succeeded, Promoted: null, Winner.ModelId: { } modelId })
        {
            return stored.Record;
        }

        // Like a job's automatic promotion, never over a newer model someone made current meanwhile.
        bool promoted = await models.PromoteIfNewerAsync(modelId, cancellationToken).ConfigureAwait(false);
        var written = await sweeps.UpdateAsync(stored.Record.Id, s => s.Record.Promoted is null
            ? s.Record with { Promoted = promoted, UpdatedAt = time.GetUtcNow() }
            : null, cancellationToken, stored).ConfigureAwait(false);
        return (written ?? stored).Record;
    }
}
