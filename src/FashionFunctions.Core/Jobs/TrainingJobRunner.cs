using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Runs the job a queue message names, fenced by a claim (docs/jobs.md): the delivery claims the job
/// with a fresh run token (an ETag-conditional write), heartbeats while training, and makes every later write
/// conditional on still holding the claim. A delivery that finds a live claim puts its message back until the
/// claim would lapse; one that finds a lapsed claim takes the job over. The model is published under a
/// run-specific weights blob named by the manifest written last, so readers never mix two runs' files.
/// Permanent failures (bad message, unknown job, invalid options, a dataset that fails its checksum) are recorded
/// at once; anything else releases the claim and is rethrown for the host to redeliver.
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
            if (outcome is (JobOutcome.FailedPermanently or JobOutcome.AlreadyFinished) && sweeps is not null)
            {
                await sweeps.JobEndedAsync(message.JobId, CancellationToken.None).ConfigureAwait(false);
            }

            return outcome;
        }

        try
        {
            return await RunClaimedAsync(claim, message, dequeueCount, maxDequeueCount, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A sweep's point: the run that finished it brings the sweep's record up to date.
            if (claim.Job.SweepId is not null && sweeps is not null)
            {
                await sweeps.JobEndedAsync(message.JobId, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One model id per job: a takeover publishes under the same id, never a second model.</summary>
    public static string ModelIdFor(string jobId) => "fmnist-" + jobId["job-".Length..];

    private async Task<(JobClaim? Claim, JobOutcome Outcome)> ClaimAsync(TrainingJobMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var stored = await jobs.GetAsync(message.JobId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                await RecordUnusableAsync(message.ToJson(), $"Job {message.JobId} has no record.", cancellationToken).ConfigureAwait(false);
                return (null, JobOutcome.FailedPermanently);
            }

            var job = stored.Job;
            if (job.IsFinished)
            {
                logger.LogInformation("Job {JobId} is already {Status}; message ignored", job.Id, job.Status);
                return (null, JobOutcome.AlreadyFinished);
            }

            var now = time.GetUtcNow();
            if (ClaimIsLive(job, now, lifecycle))
            {
                var wait = lifecycle.ClaimExpiry - (now - job.HeartbeatAt!.Value) + TimeSpan.FromSeconds(1);
                await queue.EnqueueAsync(message, wait, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Job {JobId} is held by a live run; message put back for {Wait}", job.Id, wait);
                return (null, JobOutcome.Deferred);
            }

            if (job.Attempts >= lifecycle.MaxAttempts)
            {
                var failed = job with
                {
                    Status = TrainingJobStatus.Failed,
                    FinishedAt = now,
                    UpdatedAt = now,
                    RunToken = null,
                    Error = $"Gave up after {job.Attempts} attempts. Last error: {job.Error ?? "the run stopped without reporting one (killed or timed out)"}",
                };
                if (await jobs.TryReplaceAsync(failed, stored.ETag, cancellationToken).ConfigureAwait(false) is not null)
                {
                    logger.LogError("Job {JobId} failed: {Error}", job.Id, failed.Error);
                    return (null, JobOutcome.FailedPermanently);
                }

                continue;
            }

            var claimed = job with
            {
                Status = TrainingJobStatus.Running,
                RunToken = Guid.NewGuid().ToString("N"),
                StartedAt = job.StartedAt ?? now,
                HeartbeatAt = now,
                UpdatedAt = now,
                Attempts = job.Attempts + 1,
            };
            if (await jobs.TryReplaceAsync(claimed, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
            {
                if (job.RunToken is not null)
                {
                    logger.LogWarning("Job {JobId}: took over from a run whose heartbeat lapsed at {HeartbeatAt}", job.Id, job.HeartbeatAt);
                }

                return (new JobClaim(jobs, written, time), JobOutcome.Succeeded);
            }
        }
    }

    /// <summary>Whether a run holds the job and proved it was alive within the claim expiry.</summary>
    public static bool ClaimIsLive(TrainingJob job, DateTimeOffset now, JobLifecycleOptions lifecycle) =>
        job.Status == TrainingJobStatus.Running && job.RunToken is not null && job.HeartbeatAt is { } heartbeat && now - heartbeat < lifecycle.ClaimExpiry;

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
            var epochs = new EpochWriter(claim, checkpoints, lifecycle.CheckpointInterval, activity, logger, run.Token);
            var result = await Task.Run(() => Trainer.Train(dataset, job.Options, progress: null, run.Token, resumeFrom, epochs.OnEpochCompleted), run.Token).ConfigureAwait(false);

            await claim.HeartbeatAsync(run.Token).ConfigureAwait(false); // still ours before publishing
            var artifact = Publishable(result, dataset, job.Id, claim.Token);
            await models.SaveAsync(artifact, run.Token).ConfigureAwait(false);
            bool promoted = false;
            if (job.Promote)
            {
                var pointer = await models.PromoteAsync(artifact.ModelId, onlyIfNewer: true, run.Token).ConfigureAwait(false);
                promoted = pointer.ModelId == artifact.ModelId;
            }

            await claim.UpdateAsync(j => j with
            {
                Status = TrainingJobStatus.Succeeded,
                FinishedAt = time.GetUtcNow(),
                ModelId = artifact.ModelId,
                Promoted = promoted,
                Metrics = result.Epochs,
                Epoch = result.Epochs.Count,
                Error = null,
            }, run.Token).ConfigureAwait(false);
            await heartbeat.StopAsync().ConfigureAwait(false);
            logger.LogInformation("Job {JobId} trained model {ModelId} to {Accuracy:F4} test accuracy", job.Id, artifact.ModelId, result.TestAccuracy);
            await DeleteCheckpointsAsync(job.Id).ConfigureAwait(false);
            return JobOutcome.Succeeded;
        }
        catch (Exception e) when ((heartbeat.Lost ?? e as ClaimLostException) is { } lost)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            logger.LogWarning("Job {JobId}: run stopped, {Reason}", job.Id, lost.Message);
            return lost.Cancelled ? JobOutcome.Cancelled : JobOutcome.ClaimLost;
        }
        catch (Exception e) when (IsPermanent(e))
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            logger.LogError(e, "Job {JobId} failed permanently", job.Id);
            await FinishAsync(claim, j => j with { Status = TrainingJobStatus.Failed, FinishedAt = time.GetUtcNow(), Error = e.Message }).ConfigureAwait(false);
            return JobOutcome.FailedPermanently;
        }
        catch (Exception e)
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
            if (dequeueCount >= maxDequeueCount)
            {
                logger.LogError(e, "Job {JobId} failed on its last delivery", job.Id);
                await FinishAsync(claim, j => j with
                {
                    Status = TrainingJobStatus.Failed,
                    FinishedAt = time.GetUtcNow(),
                    Error = $"Gave up after {j.Attempts} attempts: {e.Message}",
                }).ConfigureAwait(false);
            }
            else
            {
                // Release the claim so that the redelivery takes over at once, resuming from the last checkpoint.
                logger.LogWarning(e, "Job {JobId}: attempt {Attempt} failed; the message will be redelivered", job.Id, job.Attempts);
                await FinishAsync(claim, j => j with
                {
                    Status = TrainingJobStatus.Queued,
                    RunToken = null,
                    Error = $"Attempt {j.Attempts} failed and will be retried: {e.Message}",
                }).ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            await heartbeat.StopAsync().ConfigureAwait(false);
        }
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
        catch (Exception e) when (e is ClaimLostException || TransientFaults.IsTransient(e))
        {
            logger.LogWarning(e, "Job {JobId}: could not record the run's end", claim.Job.Id);
        }
    }

    private async Task DeleteCheckpointsAsync(string jobId)
    {
        if (lifecycle.KeepCheckpoints)
        {
            return;
        }

        try
        {
            await checkpoints.DeleteAllAsync(jobId).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientFaults.IsTransient(e))
        {
            logger.LogWarning(e, "Job {JobId}: checkpoints not deleted", jobId);
        }
    }

    private async Task RecordUnusableAsync(string messageText, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string excerpt = messageText.Length > 200 ? messageText[..200] + "…" : messageText;
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
            Error = $"Unusable queue message ({reason}) Message: {excerpt}",
        };
        await jobs.CreateAsync(job, idempotencyKey: null, requestHash: "", cancellationToken).ConfigureAwait(false);
        logger.LogError("Queue message could not be used ({Reason}); recorded as failed job {JobId}", reason, job.Id);
    }
}
