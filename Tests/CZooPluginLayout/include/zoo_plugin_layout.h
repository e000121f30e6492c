/* Defined in layout.c, whose static assertions freeze the ABI layout. */
int zoo_plugin_layout_checked(void);
