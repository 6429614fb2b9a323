/*
 * This file declares `tabula-kernel install`, which writes the kernelspec
 * (kernel.json and the logos) into a Jupyter kernels directory the way
 * `python -m ipykernel install` does.
 */
#ifndef KN_INSTALL_H
#define KN_INSTALL_H

/* Runs the install command; argv[0] is "install". Returns the exit code. */
int kn_install_main(int argc, char **argv);

#endif
