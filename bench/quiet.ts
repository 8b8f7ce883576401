// Imported first by the benchmark: the handlers' loggers read their level when their modules load,
// and a log line per batch would bury the progress bar and the JSON line.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
