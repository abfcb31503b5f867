using FashionFunctions.Core.Access;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// Creates sweeps — one ordinary training job per point, each queued on its own message so that the points train
/// in parallel on as many instances as the app scales to — and reads, lists and cancels them. Every path that
/// finishes a point folds it into its sweep (<see cref="SweepRecorder"/>); the watchdog heals what a crash left
/// undone (<see cref="HealRunningSweepsAsync"/>).
/// </summary>
public sealed class SweepService(
    TableSweepStore sweeps, TableJobStore jobs, TrainingJobService jobService, SweepRecorder recorder,
    JobLifecycleOptions lifecycle, TrainingBudget budget, TimeProvider time, ILogger<SweepService> logger)
{
    private const int ParallelWrites = 8;

    /// <summary>
    /// Validates, stores the sweep (with its idempotency key, when given: a repeat with the key returns the same
    /// sweep instead of making a second), then creates and queues its jobs. Throws <see cref="InvalidSweepException"/>,
    /// or <see cref="IdempotencyKeyReusedException"/> for a key first used with another request; a sweep over its
    /// compute budget or beyond the running sweeps allowed is refused, and only an admin may have it promote.
    /// </summary>
    public async Task<(SweepView Sweep, bool Created)> CreateAsync(SweepRequest request, Caller caller, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var plan = request.Plan();
        if (plan.Promote)
        {
            caller.Require(Role.Admin, "Promoting a sweep's winner");
        }

        budget.CheckSweep(plan);
        string hash = request.Hash();
        string? key = idempotencyKey is null ? null : caller.ScopeKey(idempotencyKey);
        if (key is not null && await sweeps.GetKeyAsync(key, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (existing.Age <= budget.Options.IdempotencyKeyLifetime)
            {
                return (await ReplayAsync(existing, hash, caller, cancellationToken).ConfigureAwait(false), false);
            }

            await sweeps.ForgetKeyAsync(key, existing, cancellationToken).ConfigureAwait(false);
        }

        await budget.CheckRunningSweepsAsync(caller, cancellationToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var sweep = new Sweep
        {
            Id = Sweep.NewId(now),
            Status = SweepStatus.Running,
            CreatedAt = now,
            UpdatedAt = now,
            Request = request,
            Owner = caller.Id,
            PointCount = plan.Points.Count,
            Finished = new string(Sweep.Unfinished, plan.Points.Count),
        };
        await jobs.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        if (await sweeps.CreateAsync(sweep, key, hash, cancellationToken).ConfigureAwait(false) is { } winner)
        {
            return (await ReplayAsync(winner, hash, caller, cancellationToken).ConfigureAwait(false), false);
        }

        await Parallel.ForEachAsync(plan.Points, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            (point, ct) => new ValueTask(QueuePointAsync(sweep, plan, point, ct))).ConfigureAwait(false);
        await MarkQueuedOrCancelAsync(sweep.Id, cancellationToken).ConfigureAwait(false);
        return (await GetAsync(sweep.Id, caller, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>The sweep an earlier create with this key made (the watchdog completes one whose create died).</summary>
    private async Task<SweepView> ReplayAsync(IdempotencyKeyRow key, string requestHash, Caller caller, CancellationToken cancellationToken) =>
        key.RequestHash == requestHash
            ? await GetAsync(key.RecordId, caller, cancellationToken).ConfigureAwait(false)
            : throw new IdempotencyKeyReusedException(key.RecordId);

    /// <summary>
    /// What the watchdog does for every running sweep: folds in points that finished without being folded (their
    /// fold failed, or their finisher died), so a sweep whose points have all finished always ends and promotes its
    /// winner; and finishes what create requests left undone when they died part-way (below). A sweep it cannot
    /// heal is logged and tried again next time. Returns the ids of the jobs it queued.
    /// </summary>
    public async Task<IReadOnlyList<string>> HealRunningSweepsAsync(CancellationToken cancellationToken = default)
    {
        var queued = new List<string>();
        await foreach (var stored in sweeps.RunningAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var points = await JobsOfAsync(stored.Record.Id, cancellationToken).ConfigureAwait(false);
                await FoldFinishedAsync(stored.Record, points, cancellationToken).ConfigureAwait(false);
                if (!stored.Record.AllPointsQueued && time.GetUtcNow() - stored.Record.CreatedAt >= lifecycle.EnqueueGrace)
                {
                    queued.AddRange(await CompleteCreationAsync(stored.Record, points, cancellationToken).ConfigureAwait(false));
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Sweep {SweepId}: could not be healed; the next watchdog run tries again", stored.Record.Id);
            }
        }

        return queued;
    }

    /// <summary>
    /// A create request that died part-way: every point that has no job gets one, and each of its jobs that never
    /// reached the queue is sent there once it is older than the grace (until then the sweep is not marked); a
    /// sweep cancelled meanwhile gets its missing points recorded as cancelled instead, so that it can end.
    /// </summary>
    private async Task<List<string>> CompleteCreationAsync(Sweep sweep, Dictionary<string, TrainingJob> existing, CancellationToken cancellationToken)
    {
        var plan = sweep.Request.Plan();
        var queued = new List<string>();
        bool waiting = false;
        foreach (var point in plan.Points)
        {
            string jobId = Sweep.JobIdFor(sweep.Id, point.Index);
            var job = existing.GetValueOrDefault(jobId);
            if (job is not null && !TrainingJobService.AwaitsItsFirstEnqueue(job))
            {
                continue;
            }

            if (sweep.CancelRequested)
            {
                // A point with no job gets a cancelled one; an unsent job is cancelled by MarkQueuedOrCancelAsync below.
                if (job is null)
                {
                    await jobs.CreateAsync(CancelledBeforeQueued(NewPointJob(sweep, plan, point)), idempotencyKey: null, requestHash: "", cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (job is not null && time.GetUtcNow() - job.CreatedAt < lifecycle.EnqueueGrace)
            {
                waiting = true; // its create request may still be sending it
                continue;
            }

            await QueuePointAsync(sweep, plan, point, cancellationToken).ConfigureAwait(false);
            logger.LogWarning("Sweep {SweepId}: point {Point} was left unqueued by its create request; queued job {JobId}", sweep.Id, point.Index, jobId);
            queued.Add(jobId);
        }

        if (!waiting)
        {
            await MarkQueuedOrCancelAsync(sweep.Id, cancellationToken).ConfigureAwait(false);
        }

        return queued;
    }

    /// <summary>Creates the point's job (its id is fixed by the sweep's, so a second time is harmless), sends it to the
    /// queue and marks it sent.</summary>
    private async Task QueuePointAsync(Sweep sweep, SweepPlan plan, SweepPoint point, CancellationToken cancellationToken)
    {
        var job = NewPointJob(sweep, plan, point);
        await jobs.CreateAsync(job, idempotencyKey: null, requestHash: "", cancellationToken).ConfigureAwait(false);
        await jobService.EnqueueAsync(job.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the sweep's points all created and queued, so that the watchdog need not complete its creation — unless
    /// it is being cancelled: a cancel that arrived while they were being queued may not have seen every job (it
    /// sets its flag, then cancels the jobs it finds), so seeing its flag here, this cancels them and folds the
    /// cancelled points in. A cancelled sweep is never marked; the watchdog looks at it each run until it ends.
    /// </summary>
    private async Task MarkQueuedOrCancelAsync(string sweepId, CancellationToken cancellationToken)
    {
        var stored = await sweeps.UpdateAsync(sweepId, s =>
            s.Record is { AllPointsQueued: false, CancelRequested: false, Status: SweepStatus.Running } ? s.Record with { AllPointsQueued = true } : null,
            cancellationToken).ConfigureAwait(false);
        if (stored is { Record.CancelRequested: true })
        {
            await CancelUnfinishedJobsAsync(sweepId, cancellationToken).ConfigureAwait(false);
        }
    }

    private TrainingJob CancelledBeforeQueued(TrainingJob job) =>
        job with { Status = TrainingJobStatus.Cancelled, FinishedAt = time.GetUtcNow(), Error = "Cancelled on request." };

    private TrainingJob NewPointJob(Sweep sweep, SweepPlan plan, SweepPoint point)
    {
        var now = time.GetUtcNow();
        return new TrainingJob
        {
            Id = Sweep.JobIdFor(sweep.Id, point.Index),
            Status = TrainingJobStatus.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            Options = plan.OptionsFor(point),
            Promote = false, // the sweep promotes its winner, not each point
            SweepId = sweep.Id,
            Owner = sweep.Owner,
        };
    }

    /// <summary>The sweep and its points, if <paramref name="caller"/> may see it (its owner, or an admin). Folds in
    /// any finished point a crashed run left unrecorded.</summary>
    public async Task<SweepView> GetAsync(string sweepId, Caller caller, CancellationToken cancellationToken = default)
    {
        var stored = await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false) is { } found && caller.Owns(found.Record.Owner)
            ? found
            : throw new SweepNotFoundException(sweepId);
        var points = await JobsOfAsync(sweepId, cancellationToken).ConfigureAwait(false);
        var sweep = await FoldFinishedAsync(stored.Record, points, cancellationToken).ConfigureAwait(false)
            ?? await recorder.PromoteIfDueAsync(stored, cancellationToken).ConfigureAwait(false);
        return SweepView.From(sweep, points);
    }

    /// <summary>Newest first: every sweep for an admin, the caller's own for anyone else.</summary>
    public async Task<Page<SweepSummary>> ListAsync(int limit, string? next, Caller caller, CancellationToken cancellationToken = default)
    {
        var page = await sweeps.ListAsync(limit, next, cancellationToken, caller.IsAdmin ? null : caller.Id).ConfigureAwait(false);
        return new Page<SweepSummary>(page.Items.Select(SweepSummary.SummaryOf).ToList(), page.Next);
    }

    /// <summary>
    /// Cancels a running sweep: queued points will never run, running ones stop at their next heartbeat, points
    /// already publishing and finished ones keep their results; the sweep ends <see cref="SweepStatus.Cancelled"/>
    /// once every point has finished, and never promotes a winner.
    /// </summary>
    public async Task<SweepView> CancelAsync(string sweepId, Caller caller, CancellationToken cancellationToken = default)
    {
        await sweeps.UpdateAsync(sweepId, stored => stored.Record switch
        {
            var other when !caller.Owns(other.Owner) => throw new SweepNotFoundException(sweepId),
            { Status: not SweepStatus.Running } finished => throw new SweepFinishedException(sweepId, finished.Status),
            { CancelRequested: true } => null,
            var running => running with { CancelRequested = true, UpdatedAt = time.GetUtcNow() },
        }, cancellationToken).ConfigureAwait(false);
        await CancelUnfinishedJobsAsync(sweepId, cancellationToken).ConfigureAwait(false);
        return await GetAsync(sweepId, caller, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels the sweep's unfinished jobs and folds the cancelled points in.</summary>
    private async Task CancelUnfinishedJobsAsync(string sweepId, CancellationToken cancellationToken)
    {
        var cancelled = new List<TrainingJob>();
        foreach (var job in (await JobsOfAsync(sweepId, cancellationToken).ConfigureAwait(false)).Values.Where(j => !j.IsFinished))
        {
            try
            {
                cancelled.Add(await jobService.CancelAsync(job.Id, Caller.App, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is TrainingJobFinishedException or TrainingJobPublishingException)
            {
                // It finished or is about to; its run folds it in.
            }
        }

        await recorder.PointsFinishedAsync(sweepId, cancelled, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Folds in the finished points the record does not count yet; null when there were none.</summary>
    private async Task<Sweep?> FoldFinishedAsync(Sweep sweep, Dictionary<string, TrainingJob> points, CancellationToken cancellationToken)
    {
        var unfolded = points.Values.Where(j => j.IsFinished && Sweep.PointIndexOf(j.Id) is int i && i < sweep.PointCount && sweep.Finished[i] == Sweep.Unfinished).ToList();
        return unfolded.Count == 0 ? null : await recorder.PointsFinishedAsync(sweep.Id, unfolded, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Dictionary<string, TrainingJob>> JobsOfAsync(string sweepId, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, TrainingJob>();
        await foreach (var stored in jobs.SweepJobsAsync(sweepId, cancellationToken).ConfigureAwait(false))
        {
            found[stored.Record.Id] = stored.Record;
        }

        return found;
    }
}
