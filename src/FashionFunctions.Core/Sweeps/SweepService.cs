using Azure.Data.Tables;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// Creates sweeps — one ordinary training job per point, each queued on its own message so that the points train
/// in parallel on as many instances as the app scales to — and shows and cancels them. The runs that finish the
/// points keep the sweep's record up to date (<see cref="SweepRecorder"/>).
/// </summary>
public sealed class SweepService(TableSweepStore sweeps, TableJobStore jobs, TrainingJobQueue queue, TrainingJobService jobService, SweepRecorder recorder, TimeProvider time)
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

        await Parallel.ForEachAsync(plan.Points, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken }, async (point, ct) =>
        {
            var job = new TrainingJob
            {
                Id = Sweep.JobIdFor(sweep.Id, point.Index),
                Status = TrainingJobStatus.Queued,
                CreatedAt = now,
                UpdatedAt = now,
                Options = plan.OptionsFor(point),
                Promote = false, // the sweep promotes its winner, not each point
                SweepId = sweep.Id,
            };
            await jobs.CreateAsync(job, idempotencyKey: null, requestHash: "", ct).ConfigureAwait(false);
            await queue.EnqueueAsync(new TrainingJobMessage(job.Id), cancellationToken: ct).ConfigureAwait(false);
            await MarkEnqueuedAsync(job.Id, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return sweep;
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

    public Task<SweepPage> ListAsync(int limit, string? next, CancellationToken cancellationToken = default) =>
        sweeps.ListAsync(limit, next, cancellationToken);

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

        return await GetAsync(sweepId, cancellationToken).ConfigureAwait(false);
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

    private async Task MarkEnqueuedAsync(string jobId, CancellationToken cancellationToken)
    {
        while (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { Job.Enqueued: false } stored)
        {
            if (await jobs.TryReplaceAsync(stored.Job with { Enqueued = true }, stored.ETag, cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }
    }
}
