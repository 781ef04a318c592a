// Test-process environment: the action targets node24 on runners, this machine runs Node 20, so the SDK's Node-version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
