using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Retention;

/// <summary>
/// Applies the <see cref="RetentionPolicy"/> (a timer runs it; <see cref="PlanAsync"/> is its dry run). Every
/// removal goes through the same paths as a delete on request: models through <see cref="BlobModelRegistry.DeleteAsync"/>
/// (which refuses the current model), jobs and sweeps through their state machines (only finished records, and only
/// if unchanged since they were judged), so nothing running is ever removed. A model is kept while its job is
/// unfinished or its sweep is running (the sweep's winner is not chosen yet), and a sweep's winner for good: it is
/// pinned in the index before its sweep can expire. A sweep's points expire with their sweep, never before it.
/// </summary>
public sealed class RetentionService(
    BlobModelRegistry models, TableModelIndex index, TableJobStore jobs, TableSweepStore sweeps,
    RetentionPolicy policy, TimeProvider time, ILogger<RetentionService> logger)
{
    private sealed record Judgement(RetentionPlan Plan, IReadOnlySet<string> Winners, IReadOnlySet<string> Pinned, IReadOnlySet<string> SweepIds);

    /// <summary>What <see cref="ApplyAsync"/> would remove now, removing nothing.</summary>
    public async Task<RetentionPlan> PlanAsync(CancellationToken cancellationToken = default) =>
        (await JudgeAsync(cancellationToken).ConfigureAwait(false)).Plan;

    /// <summary>Removes what the policy no longer keeps; returns what it removed.</summary>
    public async Task<RetentionPlan> ApplyAsync(CancellationToken cancellationToken = default)
    {
        var judged = await JudgeAsync(cancellationToken).ConfigureAwait(false);
        var plan = judged.Plan;
        foreach (string winner in judged.Winners.Except(judged.Pinned))
        {
            await index.PinAsync(winner, cancellationToken).ConfigureAwait(false);
        }

        var removedModels = new List<ModelSummary>();
        foreach (var model in plan.Models)
        {
            try
            {
                await models.DeleteAsync(model.ModelId, cancellationToken).ConfigureAwait(false);
                removedModels.Add(model);
            }
            catch (Exception e) when (e is ModelIsCurrentException or ModelNotFoundException)
            {
                // Promoted, or deleted, since it was judged.
            }
        }

        var removedJobs = new List<string>();
        foreach (string jobId in plan.Jobs)
        {
            if (await jobs.RemoveAsync(jobId, s => Expired(s.Record, plan.FinishedBefore, judged.SweepIds), cancellationToken).ConfigureAwait(false))
            {
                removedJobs.Add(jobId);
            }
        }

        var removedSweeps = new List<string>();
        foreach (string sweepId in plan.Sweeps)
        {
            if (await RemoveSweepAsync(sweepId, plan.FinishedBefore, cancellationToken).ConfigureAwait(false))
            {
                removedSweeps.Add(sweepId);
            }
        }

        await models.SyncCurrentCopyAsync(cancellationToken).ConfigureAwait(false);
        if (removedModels.Count + removedJobs.Count + removedSweeps.Count > 0)
        {
            logger.LogInformation("Retention removed {Models} models, {Jobs} jobs and {Sweeps} sweeps", removedModels.Count, removedJobs.Count, removedSweeps.Count);
        }

        return plan with { Models = removedModels, Jobs = removedJobs, Sweeps = removedSweeps };
    }

    /// <summary>The sweep's points first, then the sweep; a sweep one of whose points could not go stays for the next run.</summary>
    private async Task<bool> RemoveSweepAsync(string sweepId, DateTimeOffset? finishedBefore, CancellationToken cancellationToken)
    {
        bool pointsGone = true;
        await foreach (var point in jobs.SweepJobsAsync(sweepId, cancellationToken).ConfigureAwait(false))
        {
            pointsGone &= await jobs.RemoveAsync(point.Record.Id, s => s.Record.IsFinished, cancellationToken).ConfigureAwait(false);
        }

        return pointsGone && await sweeps.RemoveAsync(sweepId, s => Expired(s.Record, finishedBefore), cancellationToken).ConfigureAwait(false);
    }

    private async Task<Judgement> JudgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var cutoff = policy.Cutoff(now);
        var allSweeps = new List<Sweep>();
        await foreach (var stored in sweeps.AllAsync(cancellationToken).ConfigureAwait(false))
        {
            allSweeps.Add(stored.Record);
        }

        var winners = allSweeps.Select(s => s.Winner?.ModelId).OfType<string>().ToHashSet();
        var running = allSweeps.Where(s => s.Status == SweepStatus.Running).Select(s => s.Id).ToHashSet();
        var pinned = await index.PinnedAsync(cancellationToken).ConfigureAwait(false);

        var expiredModels = new List<ModelSummary>();
        if (policy.KeepNewestModels > 0)
        {
            string? current = (await models.GetCurrentAsync(cancellationToken).ConfigureAwait(false))?.Pointer.ModelId;
            int newer = 0;
            await foreach (var model in index.AllAsync(cancellationToken).ConfigureAwait(false))
            {
                bool kept = ++newer <= policy.KeepNewestModels || model.ModelId == current || pinned.Contains(model.ModelId) || winners.Contains(model.ModelId)
                    || (model.SweepId is { } sweepId && running.Contains(sweepId))
                    || (model.JobId is { } jobId && await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { Record.IsFinished: false });
                if (!kept)
                {
                    expiredModels.Add(model);
                }
            }
        }

        var expiredJobs = new List<string>();
        var sweepIds = allSweeps.Select(s => s.Id).ToHashSet();
        if (cutoff is { } before)
        {
            await foreach (var stored in jobs.CreatedBeforeAsync(before, cancellationToken).ConfigureAwait(false))
            {
                if (Expired(stored.Record, before, sweepIds))
                {
                    expiredJobs.Add(stored.Record.Id);
                }
            }
        }

        var expiredSweeps = allSweeps.Where(s => Expired(s, cutoff)).Select(s => s.Id).ToList();
        var plan = new RetentionPlan(now, policy.KeepNewestModels, cutoff, expiredModels, expiredJobs, expiredSweeps);
        return new Judgement(plan, winners, pinned, sweepIds);
    }

    /// <summary>A finished job outside any sweep still stored (a sweep's points go with their sweep), finished before the cutoff.</summary>
    private static bool Expired(TrainingJob job, DateTimeOffset? cutoff, IReadOnlySet<string> sweepIds) =>
        job.IsFinished && (job.FinishedAt ?? job.UpdatedAt) < cutoff && (job.SweepId is null || !sweepIds.Contains(job.SweepId));

    private static bool Expired(Sweep sweep, DateTimeOffset? cutoff) =>
        sweep.Status != SweepStatus.Running && (sweep.FinishedAt ?? sweep.UpdatedAt) < cutoff;
}
