using Azure.Data.Tables;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// Creates sweeps — one ordinary training job per point, each queued on its own message so that the points train
/// in parallel on as many instances as the app scales to — and shows and cancels them. The runs that finish the
/// points keep the sweep's record up to date (<see cref="SweepRecorder"/>).
/// </summary>
public sealed class SweepService(
    TableSweepStore sweeps, TableJobStore jobs, TrainingJobService jobService, SweepRecorder recorder,
    JobLifecycleOptions lifecycle, TimeProvider time, ILogger<SweepService> logger)
{
    private const int ParallelWrites = 8;

    /// <summary>Validates, stores the sweep, then creates and queues its jobs. Throws <see cref="InvalidSweepException"/>.</summary>
    public async Task<Sweep> CreateAsync(SweepRequest request, CancellationToken cancellationToken = default)
    {
        var plan = request.Plan();
        var now = time.GetUtcNow();
        var sweep = new Sweep
        {
            Id = Sweep.NewId(now),
            Status = SweepStatus.Running,
            CreatedAt = now,
            UpdatedAt = now,
            Request = request,
            PointCount = plan.Points.Count,
            Finished = new string(Sweep.Unfinished, plan.Points.Count),
        };
        await jobs.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await sweeps.CreateAsync(sweep, cancellationToken).ConfigureAwait(false);

        await Parallel.ForEachAsync(plan.Points, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            (point, ct) => new ValueTask(QueuePointAsync(sweep, plan, point, ct))).ConfigureAwait(false);
        await MarkQueuedOrCancelAsync(sweep.Id, cancellationToken).ConfigureAwait(false);
        return sweep;
    }

    /// <summary>
    /// Finishes what create requests left undone when they died part-way (their instance crashed or was recycled
    /// mid-request). Every running sweep not yet marked <see cref="Sweep.AllPointsQueued"/> and created more than
    /// <see cref="JobLifecycleOptions.EnqueueGrace"/> ago gets a job for each point that has none, and each of its
    /// jobs that never reached the queue is sent there once it is older than the grace (until then the sweep is not
    /// marked); a sweep cancelled meanwhile gets its missing points recorded as cancelled instead, so that it can end.
    /// Run by the watchdog timer; a sweep it cannot complete is logged and tried again next time. Returns the ids of
    /// the jobs it queued.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompleteInterruptedCreationsAsync(CancellationToken cancellationToken = default)
    {
        var queued = new List<string>();
        await foreach (var stored in sweeps.RunningAsync(cancellationToken).ConfigureAwait(false))
        {
            if (stored.Sweep.AllPointsQueued || time.GetUtcNow() - stored.Sweep.CreatedAt < lifecycle.EnqueueGrace)
            {
                continue;
            }

            try
            {
                queued.AddRange(await CompleteCreationAsync(stored.Sweep, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Sweep {SweepId}: could not complete its creation; the next watchdog run tries again", stored.Sweep.Id);
            }
        }

        return queued;
    }

    private async Task<List<string>> CompleteCreationAsync(Sweep sweep, CancellationToken cancellationToken)
    {
        var plan = sweep.Request.Plan();
        var existing = await JobsOfAsync(sweep.Id, cancellationToken).ConfigureAwait(false);
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
    /// Marks the sweep's points all created and queued, so that the watchdog leaves it alone — unless it is being
    /// cancelled: a cancel that arrived while they were being queued may not have seen every job (it sets its flag,
    /// then cancels the jobs it finds), so seeing its flag here, this cancels them and folds the cancelled points in.
    /// A cancelled sweep is never marked; the watchdog looks at it each run until it ends. If the record keeps
    /// changing, the mark is left to the watchdog too.
    /// </summary>
    private async Task MarkQueuedOrCancelAsync(string sweepId, CancellationToken cancellationToken)
    {
        var stored = await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; attempt < SweepRecorder.MaxConflicts && stored is { Sweep: { AllPointsQueued: false, CancelRequested: false } }; attempt++)
        {
            if (await sweeps.TryReplaceAsync(stored.Sweep with { AllPointsQueued = true }, stored.ETag, cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }

            stored = await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false);
        }

        if (stored is { Sweep.CancelRequested: true })
        {
            await CancelUnfinishedJobsAsync(sweepId, cancellationToken).ConfigureAwait(false);
            await GetAsync(sweepId, cancellationToken).ConfigureAwait(false); // folds the cancelled points in
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
        };
    }

    /// <summary>The sweep and its points. Folds in any finished point a crashed run left unrecorded.</summary>
    public async Task<SweepView> GetAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        var stored = await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false) ?? throw new SweepNotFoundException(sweepId);
        var points = await JobsOfAsync(sweepId, cancellationToken).ConfigureAwait(false);
        var sweep = stored.Sweep;
        bool healed = false;
        foreach (var job in points.Values.Where(j => j.IsFinished && Sweep.PointIndexOf(j.Id) is int i && i < sweep.PointCount && sweep.Finished[i] == Sweep.Unfinished))
        {
            sweep = await recorder.PointFinishedAsync(job, cancellationToken).ConfigureAwait(false) ?? sweep;
            healed = true;
        }

        if (!healed)
        {
            sweep = await recorder.PromoteIfDueAsync(stored, cancellationToken).ConfigureAwait(false);
        }

        return SweepView.From(sweep, points);
    }

    public async Task<SweepSummaryPage> ListAsync(int limit, string? next, CancellationToken cancellationToken = default)
    {
        var page = await sweeps.ListAsync(limit, next, cancellationToken).ConfigureAwait(false);
        return new SweepSummaryPage(page.Items.Select(SweepSummary.SummaryOf).ToList(), page.Next);
    }

    /// <summary>
    /// Cancels a running sweep: queued points will never run, running ones stop at their next heartbeat, finished
    /// ones keep their results; the sweep ends <see cref="SweepStatus.Cancelled"/>.
    /// </summary>
    public async Task<SweepView> CancelAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var stored = await sweeps.GetAsync(sweepId, cancellationToken).ConfigureAwait(false) ?? throw new SweepNotFoundException(sweepId);
            if (stored.Sweep.Status != SweepStatus.Running)
            {
                throw new SweepFinishedException(sweepId, stored.Sweep.Status);
            }

            if (stored.Sweep.CancelRequested
                || await sweeps.TryReplaceAsync(stored.Sweep with { CancelRequested = true, UpdatedAt = time.GetUtcNow() }, stored.ETag, cancellationToken).ConfigureAwait(false) is not null)
            {
                break;
            }
        }

        await CancelUnfinishedJobsAsync(sweepId, cancellationToken).ConfigureAwait(false);
        return await GetAsync(sweepId, cancellationToken).ConfigureAwait(false);
    }

    private async Task CancelUnfinishedJobsAsync(string sweepId, CancellationToken cancellationToken)
    {
        foreach (var job in (await JobsOfAsync(sweepId, cancellationToken).ConfigureAwait(false)).Values.Where(j => !j.IsFinished))
        {
            try
            {
                await jobService.CancelAsync(job.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (TrainingJobFinishedException)
            {
                // It finished meanwhile; its run records it.
            }
        }
    }

    private async Task<Dictionary<string, TrainingJob>> JobsOfAsync(string sweepId, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, TrainingJob>();
        await foreach (var stored in jobs.QueryAsync(TableClient.CreateQueryFilter($"SweepId eq {sweepId}"), cancellationToken).ConfigureAwait(false))
        {
            found[stored.Job.Id] = stored.Job;
        }

        return found;
    }
}
