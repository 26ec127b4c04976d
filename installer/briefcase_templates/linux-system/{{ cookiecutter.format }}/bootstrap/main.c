/* Launcher: run the app's module on the system Python, with the app and its packages on sys.path. */
#include <Python.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define APP_NAME "{{ cookiecutter.app_name }}"
#define MODULE_NAME L"{{ cookiecutter.module_name }}"

int main(int argc, char *argv[]) {
    char exe[PATH_MAX], lib[PATH_MAX], path[3 * PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0) { perror("readlink"); return 1; }
    exe[n] = '\0';
    /* <root>/usr/bin/<app> -> <root>/usr/lib/<app> */
    snprintf(lib, sizeof(lib), "%s/../lib/" APP_NAME, dirname(exe));
    /* The app and its packages go first on sys.path; the system stdlib follows as usual. */
    snprintf(path, sizeof(path), "%s/app:%s/app_packages", lib, lib);

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.site_import = 1;
    config.parse_argv = 0;  /* every argument is the app's, none is an option of Python itself */
#if PY_VERSION_HEX >= 0x030B0000
    config.safe_path = 1;   /* nothing of the launcher's own folder or the working directory on sys.path */
#endif
    PyStatus status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status)) goto fail;
    status = PyConfig_SetBytesString(&config, &config.pythonpath_env, path);
    if (PyStatus_Exception(status)) goto fail;
    /* Nothing is written under /usr at run time: dpkg owns those files and could not remove a
       __pycache__ that a root run left there. Bytecode goes to the user's cache instead. */
    char cache[PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(cache, sizeof(cache), "%s/" APP_NAME "/pycache", xdg);
    else if (home && home[0] == '/')
        snprintf(cache, sizeof(cache), "%s/.cache/" APP_NAME "/pycache", home);
    else
        cache[0] = '\0';
    if (cache[0]) {
        status = PyConfig_SetBytesString(&config, &config.pycache_prefix, cache);
        if (PyStatus_Exception(status)) goto fail;
    } else {
        config.write_bytecode = 0;
    }
    status = PyConfig_SetString(&config, &config.run_module, MODULE_NAME);
    if (PyStatus_Exception(status)) goto fail;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) goto fail;
    PyConfig_Clear(&config);
    return Py_RunMain();

fail:
    PyConfig_Clear(&config);
    Py_ExitStatusException(status);
}
