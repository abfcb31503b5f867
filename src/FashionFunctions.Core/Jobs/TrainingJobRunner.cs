using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Runs the job a queue message names, fenced by a claim (docs/jobs.md): the delivery claims the job with a fresh
/// run token (a conditional write), heartbeats while training, and makes every later write conditional on still
/// holding the claim. A delivery that finds a live claim puts its message back until the claim would lapse; one
/// that finds a lapsed claim takes the job over. Outcome first, cleanup after: the run fences its publish against
/// cancel, publishes, records the outcome, and only then cleans up (checkpoints, the sweep's record) — cleanup
/// that fails is logged and never changes the outcome. Permanent failures (bad message, unknown job, invalid
/// options, a dataset that fails its checksum) are recorded at once; anything else releases the claim and is
/// rethrown for the host to redeliver; a host shutting down hands the job to another delivery without using up
/// an attempt.
/// </summary>
public sealed class TrainingJobRunner(
    TableJobStore jobs,
    BlobModelRegistry models,
    CheckpointStore checkpoints,
    TrainingJobQueue queue,
    Func<IDatasetSource> datasetSource,
    JobLifecycleOptions lifecycle,
    TimeProvider time,
    ILogger<TrainingJobRunner> logger,
    Sweeps.SweepRecorder? sweeps = null)
{
    /// <summary>How long the writes that hand a job over may take once the host has asked the run to stop.</summary>
    private static readonly TimeSpan HandOverTimeout = TimeSpan.FromSeconds(10);

    public async Task<JobOutcome> RunAsync(string messageText, long dequeueCount, int maxDequeueCount, CancellationToken cancellationToken)
    {
        TrainingJobMessage message;
        try
        {
            message = TrainingJobMessage.Parse(messageText);
        }
        catch (FormatException e)
        {
            await RecordUnusableAsync(messageText, e.Message, cancellationToken).ConfigureAwait(false);
            return JobOutcome.FailedPermanently;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = message.JobId });
        var (claim, outcome) = await ClaimAsync(message, cancellationToken).ConfigureAwait(false);
        if (claim is null)
        {
            if (outcome is JobOutcome.FailedPermanently or JobOutcome.AlreadyFinished)
            {
                await FoldIntoSweepAsync(message.JobId).ConfigureAwait(false);
            }

            return outcome;
        }

        try
        {
            return await RunClaimedAsync(claim, message, dequeueCount, maxDequeueCount, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await CleanUpAfterRunAsync(claim).ConfigureAwait(false);
        }
    }

    /// <summary>One model id per job: a takeover publishes under the same id, never a second model.</summary>
    public static string ModelIdFor(string jobId) => "fmnist-" + jobId["job-".Length..];

    /// <summary>Claims the job in one conditional write, or finds why this delivery must not run it.</summary>
    private async Task<(JobClaim? Claim, JobOutcome Outcome)> ClaimAsync(TrainingJobMessage message, CancellationToken cancellationToken)
    {
        var outcome = JobOutcome.Succeeded;
        TimeSpan deferFor = TimeSpan.Zero;
        string? tookOverFrom = null;
        var written = await jobs.UpdateAsync(message.JobId, stored =>
        {
            var job = stored.Record;
            var now = time.GetUtcNow();
            if (job.IsFinished)
            {
                outcome = JobOutcome.AlreadyFinished;
                return null;
            }

            if (lifecycle.ClaimIsLive(stored))
            {
                outcome = JobOutcome.Deferred;
                deferFor = lifecycle.ClaimExpiry - stored.Unwritten + TimeSpan.FromSeconds(1);
                return null;
            }

            if (job.Attempts >= lifecycle.MaxAttempts)
            {
                outcome = JobOutcome.FailedPermanently;
                return job with
                {
                    Status = TrainingJobStatus.Failed,
                    FinishedAt = now,
                    UpdatedAt = now,
                    RunToken = null,
                    Error = $"Gave up after {job.Attempts} attempts. Last error: {job.Error ?? "the run stopped without reporting one (killed or timed out)"}",
                };
            }

            outcome = JobOutcome.Succeeded;
            tookOverFrom = job.Status == TrainingJobStatus.Running ? job.RunToken : null;
            return job with
            {
                Status = TrainingJobStatus.Running,
                RunToken = Guid.NewGuid().ToString("N"),
                StartedAt = job.StartedAt ?? now,
                HeartbeatAt = now,
                UpdatedAt = now,
                Attempts = job.Attempts + 1,
                RecoveryQueuedFor = null,
            };
        }, cancellationToken).ConfigureAwait(false);

        if (written is null)
        {
            await RecordUnusableAsync(message.ToJson(), $"Job {message.JobId} has no record.", cancellationToken).ConfigureAwait(false);
            return (null, JobOutcome.FailedPermanently);
        }

        switch (outcome)
        {
            case JobOutcome.AlreadyFinished:
                logger.LogInformation("Job {JobId} is already {Status}; message ignored", message.JobId, written.Record.Status);
                return (null, outcome);
            case JobOutcome.Deferred:
                await queue.EnqueueAsync(message, deferFor, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Job {JobId} is held by a live run; message put back for {Wait}", message.JobId, deferFor);
                return (null, outcome);
            case JobOutcome.FailedPermanently:
                logger.LogError("Job {JobId} failed: {Error}", message.JobId, written.Record.Error);
                return (null, outcome);
        }

        if (tookOverFrom is not null)
        {
            logger.LogWarning("Job {JobId}: took over from run {RunToken}, whose claim lapsed", message.JobId, tookOverFrom);
        }

        return (new JobClaim(jobs, written, time), JobOutcome.Succeeded);
    }

    private async Task<JobOutcome> RunClaimedAsync(JobClaim claim, TrainingJobMessage message, long dequeueCount, int maxDequeueCount, CancellationToken cancellationToken)
    {
        var job = claim.Job;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = new RunHeartbeat(claim, lifecycle.HeartbeatInterval, time, logger, run);
        using var activity = JobTelemetry.StartRun(job, message.TraceParent ?? job.TraceParent);
        try
        {
            var dataset = await FashionMnistLoader.LoadAsync(datasetSource(), run.Token).ConfigureAwait(false);
            var resumeFrom = await LoadCheckpointAsync(job, run.Token).ConfigureAwait(false);
            var epochs = new EpochWriter(claim, checkpoints, lifecycle, activity, logger, run.Token);
            var result = await Task.Run(() => Trainer.Train(dataset, job.Options, progress: null, run.Token, resumeFrom, epochs.OnEpochCompleted), run.Token).ConfigureAwait(false);

            // The fence: from this write on, a cancel answers 409 instead of ending the job, so no cancelled job
            // leaves a model behind; a cancel that got in first makes this write fail with the claim lost.
            await claim.UpdateAsync(j => j with { Publishing = true }, run.Token).ConfigureAwait(false);
            var artifact = Publishable(result, dataset, job.Id, claim.Token);
            await models.PublishAsync(artifact, job.Id, job.SweepId, run.Token).ConfigureAwait(false); // weights, manifest, index row
            bool promoted = job.Promote && await models.PromoteIfNewerAsync(artifact.ModelId, run.Token).ConfigureAwait(false);

            await claim.UpdateAsync(j => j with
            {
                Status = TrainingJobStatus.Succeeded,
                Publishing = false,
                FinishedAt = time.GetUtcNow(),
                ModelId = artifact.ModelId,
                Promoted = promoted,
                Metrics = result.Epochs,
                Epoch = result.Epochs.Count,
                Error = null,
            }, run.Token).ConfigureAwait(false);
            logger.LogInformation("Job {JobId} trained model {ModelId} to {Accuracy:F4} test accuracy", job.Id, artifact.ModelId, result.TestAccuracy);
            return JobOutcome.Succeeded;
        }
        catch (Exception e) when ((heartbeat.Lost ?? e as ClaimLostException) is { } lost)
        {
            logger.LogWarning("Job {JobId}: run stopped, {Reason}", job.Id, lost.Message);
            return lost.Cancelled ? JobOutcome.Cancelled : JobOutcome.ClaimLost;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            return await HandOverAsync(claim, message).ConfigureAwait(false);
        }
        catch (Exception e) when (IsPermanent(e))
        {
            string traceId = JobErrors.NewTraceId();
            logger.LogError(e, "Job {JobId} failed permanently (traceId {TraceId})", job.Id, traceId);
            await heartbeat.StopAsync().ConfigureAwait(false);
            await FinishAsync(claim, j => j with { Status = TrainingJobStatus.Failed, FinishedAt = time.GetUtcNow(), Error = JobErrors.Failed(e, traceId) }).ConfigureAwait(false);
            return JobOutcome.FailedPermanently;
        }
        catch (Exception e)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            string traceId = JobErrors.NewTraceId();
            if (dequeueCount >= maxDequeueCount)
            {
                logger.LogError(e, "Job {JobId} failed on its last delivery (traceId {TraceId})", job.Id, traceId);
                await FinishAsync(claim, j => j with
                {
                    Status = TrainingJobStatus.Failed,
                    FinishedAt = time.GetUtcNow(),
                    Error = JobErrors.GaveUp(j.Attempts, traceId),
                }).ConfigureAwait(false);
            }
            else
            {
                // Release the claim so that the redelivery takes over at once, resuming from the last checkpoint.
                logger.LogWarning(e, "Job {JobId}: attempt {Attempt} failed; the message will be redelivered (traceId {TraceId})", job.Id, job.Attempts, traceId);
                await FinishAsync(claim, j => j with
                {
                    Status = TrainingJobStatus.Queued,
                    RunToken = null,
                    Error = JobErrors.Retrying(j.Attempts, traceId),
                }).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The host is shutting down (its cancellation is not the job's failure): releases the claim without using up
    /// the attempt and puts a fresh message on the queue, so that another delivery resumes from the last
    /// checkpoint at once. If that cannot be done in time the exception goes to the host, which redelivers the
    /// message (or, on its last delivery, moves it to the poison queue, whose handler re-enqueues a job that
    /// has attempts left).
    /// </summary>
    private async Task<JobOutcome> HandOverAsync(JobClaim claim, TrainingJobMessage message)
    {
        using var timeout = new CancellationTokenSource(HandOverTimeout);
        try
        {
            await claim.UpdateAsync(j => j with
            {
                Status = TrainingJobStatus.Queued,
                RunToken = null,
                Attempts = j.Attempts - 1,
                Error = "The run was interrupted by its host shutting down; it resumes from its last checkpoint.",
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (ClaimLostException lost)
        {
            return lost.Cancelled ? JobOutcome.Cancelled : JobOutcome.ClaimLost;
        }

        await queue.EnqueueAsync(message, cancellationToken: timeout.Token).ConfigureAwait(false);
        logger.LogWarning("Job {JobId}: the host is shutting down; the job was handed back to the queue", claim.Job.Id);
        return JobOutcome.HandedOver;
    }

    /// <summary>The checkpoint the job's record names, or null to train from the start (none yet, or one that is
    /// gone, corrupt or from other options: a bad checkpoint costs time, never the job).</summary>
    private async Task<TrainingCheckpoint?> LoadCheckpointAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        if (job.Checkpoint is null)
        {
            return null;
        }

        byte[]? bytes = await checkpoints.ReadAsync(job.Checkpoint, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            logger.LogWarning("Job {JobId}: checkpoint {Checkpoint} is gone; training from the start", job.Id, job.Checkpoint);
            return null;
        }

        try
        {
            var checkpoint = TrainingCheckpoint.FromBytes(bytes);
            if (checkpoint.Options != job.Options)
            {
                logger.LogWarning("Job {JobId}: checkpoint {Checkpoint} was written with other options; training from the start", job.Id, job.Checkpoint);
                return null;
            }

            logger.LogInformation("Job {JobId}: resuming after epoch {Epoch} from its checkpoint", job.Id, checkpoint.EpochsCompleted);
            if (checkpoint.CodePath != CpuCodePath.Current)
            {
                logger.LogWarning("Job {JobId}: the checkpoint was written on the {WrittenOn} code path and resumes on {ResumesOn}: the weights will not be bit-identical to an uninterrupted run's (docs/jobs.md)",
                    job.Id, checkpoint.CodePath ?? "an unrecorded", CpuCodePath.Current);
            }

            return checkpoint;
        }
        catch (InvalidCheckpointException e)
        {
            logger.LogWarning(e, "Job {JobId}: checkpoint {Checkpoint} is unusable; training from the start", job.Id, job.Checkpoint);
            return null;
        }
    }

    /// <summary>The model as this run publishes it: weights under a run-specific name the manifest points to.</summary>
    private ModelArtifact Publishable(TrainingResult result, FashionMnistDataset dataset, string jobId, string runToken)
    {
        var trained = result.ToArtifact(dataset, ModelIdFor(jobId), time.GetUtcNow());
        return ModelArtifact.Create(trained.Weights, trained.Manifest with { WeightsFile = $"model-{runToken}.safetensors" });
    }

    private static bool IsPermanent(Exception e) =>
        e is InvalidTrainingOptionsException or InvalidModelException
        || (e is InvalidDatasetException && !TransientFaults.IsTransient(e));

    /// <summary>A last write for a run that is ending anyway: losing the claim or the storage now changes nothing.</summary>
    private async Task FinishAsync(JobClaim claim, Func<TrainingJob, TrainingJob> change)
    {
        try
        {
            await claim.UpdateAsync(change, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId}: could not record the run's end", claim.Job.Id);
        }
    }

    /// <summary>
    /// After the run, whatever its outcome (best-effort: nothing here changes it): a finished job's checkpoints are
    /// deleted, an unfinished one's keep only the checkpoint its record names (another run resumes from it);
    /// a sweep's point is folded into its sweep.
    /// </summary>
    private async Task CleanUpAfterRunAsync(JobClaim claim)
    {
        string jobId = claim.Job.Id;
        try
        {
            var now = lifecycle.KeepCheckpoints ? claim.Job : (await jobs.GetAsync(jobId).ConfigureAwait(false))?.Record;
            if (lifecycle.KeepCheckpoints)
            {
                logger.LogInformation("Job {JobId}: checkpoints kept (KeepCheckpoints)", jobId);
            }
            else if (now is null || now.IsFinished)
            {
                await checkpoints.DeleteAllAsync(jobId).ConfigureAwait(false);
            }
            else
            {
                await checkpoints.DeleteRunAsync(jobId, claim.Token, keep: now.Checkpoint).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId}: checkpoints not cleaned up (the storage's lifecycle rule removes them later)", jobId);
        }

        if (claim.Job.SweepId is not null)
        {
            await FoldIntoSweepAsync(jobId).ConfigureAwait(false);
        }
    }

    private async Task FoldIntoSweepAsync(string jobId)
    {
        if (sweeps is not null)
        {
            await sweeps.JobEndedAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RecordUnusableAsync(string messageText, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string excerpt = messageText.Length > 200 ? messageText[..200] + "…" : messageText;
        string traceId = JobErrors.NewTraceId();
        var job = new TrainingJob
        {
            Id = TrainingJob.NewId(now),
            Status = TrainingJobStatus.Failed,
            CreatedAt = now,
            UpdatedAt = now,
            FinishedAt = now,
            Options = new TrainingOptions(),
            Promote = false,
            Enqueued = true,
            Error = JobErrors.Unusable(traceId),
        };
        await jobs.CreateAsync(job, idempotencyKey: null, requestHash: "", cancellationToken).ConfigureAwait(false);
        logger.LogError("Queue message could not be used ({Reason}); recorded as failed job {JobId} (traceId {TraceId}). Message: {Excerpt}", reason, job.Id, traceId, excerpt);
    }
}
