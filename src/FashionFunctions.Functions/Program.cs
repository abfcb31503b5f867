using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// libtorch is not loaded here: serving runs in managed code, and a training job loads it (failing with the
// reason when it cannot) when it starts.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<ErrorMappingMiddleware>(); // inside the ASP.NET Core integration: it executes the problem result
builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();
builder.Services.AddFashionFunctions(builder.Configuration);
builder.Build().Run();
